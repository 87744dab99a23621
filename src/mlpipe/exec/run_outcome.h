// RunOutcome: how a run of a JobGraph ended, job by job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlpipe/exec/command_runner.h"
#include "mlpipe/exec/job_state.h"

namespace mlpipe::exec {

struct JobOutcome {
  JobState state = JobState::kPending;  // final unless the run broke down (see RunOutcome::error)
  int attempts = 0;                     // attempts begun (Prepare calls)
  std::string reason = {};    // why it ended so ("exit 1", "upstream prep failed", the cache reason)
  CommandResult result = {};  // the last attempt's result (default if it never ran)
  int64_t wall_ns = 0;        // wall time summed over its attempts (backoff excluded)
};

struct RunOutcome {
  bool ok = false;                    // every job succeeded or was cached
  bool interrupted = false;           // an interrupt stopped the run
  std::string error = {};             // non-empty if the runner itself failed (not a job)
  std::vector<JobOutcome> jobs = {};  // indexed like JobGraph::jobs
  int64_t wall_ns = 0;

  int Count(JobState state) const {
    int n = 0;
    for (const JobOutcome& j : jobs) n += j.state == state ? 1 : 0;
    return n;
  }
};

}  // namespace mlpipe::exec
