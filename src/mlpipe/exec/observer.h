// ExecObserver: hooks for progress display and records (Taskflow's observer).
// Called on the executor's thread, synchronously; an observer must not block
// for long. Pointers in a JobEvent are valid only during the call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mlpipe/exec/command_runner.h"
#include "mlpipe/exec/job_graph.h"
#include "mlpipe/exec/run_outcome.h"

namespace mlpipe::exec {

struct JobEvent {
  enum class Kind {
    kReady,     // dependencies done (again after a backoff)
    kStarted,   // an attempt's command was started
    kRetrying,  // an attempt failed; another follows after retry_after_ns
    kSucceeded,
    kFailed,     // final failure; reason says why
    kCached,     // satisfied without running; reason says why
    kSkipped,    // an upstream job failed
    kCancelled,  // the run stopped before (or while) it ran
  };
  Kind kind = Kind::kReady;
  int job = -1;
  int attempt = 0;  // attempts begun so far
  std::string reason = {};
  int64_t wall_ns = 0;                    // for final events: wall time over all attempts
  int64_t retry_after_ns = 0;             // for kRetrying
  const CommandResult* result = nullptr;  // the last attempt's result, when there was one
  const Command* command = nullptr;       // for kStarted
};

// "ready", "started", "retrying", "succeeded", "failed", "cached", "skipped", "cancelled".
std::string_view JobEventKindName(JobEvent::Kind kind);

class ExecObserver {
 public:
  virtual ~ExecObserver() = default;
  virtual void OnRunStarted(const JobGraph& graph) {}
  virtual void OnEvent(const JobEvent& event) = 0;
  // Called about every ExecutorOptions::tick_interval_ns while the run waits.
  virtual void OnTick(int64_t now_mono_ns) {}
  virtual void OnRunFinished(const RunOutcome& outcome) {}
};

}  // namespace mlpipe::exec
