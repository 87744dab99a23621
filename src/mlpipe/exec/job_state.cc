#include "mlpipe/exec/job_state.h"

namespace mlpipe::exec {

std::string_view JobStateName(JobState state) {
  switch (state) {
    case JobState::kPending:
      return "pending";
    case JobState::kReady:
      return "ready";
    case JobState::kRunning:
      return "running";
    case JobState::kWaitingRetry:
      return "waiting-retry";
    case JobState::kSucceeded:
      return "succeeded";
    case JobState::kFailed:
      return "failed";
    case JobState::kCached:
      return "cached";
    case JobState::kSkipped:
      return "skipped";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

bool IsFinal(JobState state) {
  switch (state) {
    case JobState::kSucceeded:
    case JobState::kFailed:
    case JobState::kCached:
    case JobState::kSkipped:
    case JobState::kCancelled:
      return true;
    default:
      return false;
  }
}

bool IsSatisfied(JobState state) { return state == JobState::kSucceeded || state == JobState::kCached; }

}  // namespace mlpipe::exec
