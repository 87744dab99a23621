// JobState: where one job stands in a run. The names match the Execution
// statuses of the design (pending, running, succeeded, failed, cached, skipped,
// cancelled) plus two the executor needs internally (ready, waiting-retry).
#pragma once

#include <string_view>

namespace mlpipe::exec {

enum class JobState {
  kPending,       // some dependency has not finished yet
  kReady,         // dependencies done; waiting for capacity
  kRunning,       // an attempt is in flight
  kWaitingRetry,  // an attempt failed; waiting for its backoff (holds no slot)
  kSucceeded,     // final: ran and succeeded
  kFailed,        // final: ran out of attempts, or could not be prepared
  kCached,        // final: satisfied without running
  kSkipped,       // final: an upstream job failed
  kCancelled,     // final: never started (or aborted) because the run stopped
};

// "pending", "ready", "running", "waiting-retry", "succeeded", "failed",
// "cached", "skipped", "cancelled".
std::string_view JobStateName(JobState state);

// True for succeeded, failed, cached, skipped, cancelled.
bool IsFinal(JobState state);

// True for succeeded and cached: the job's outputs are available downstream.
bool IsSatisfied(JobState state);

}  // namespace mlpipe::exec
