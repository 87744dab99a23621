// SlurmClient: the three things SlurmRunner asks of Slurm: submit a batch
// job, read the state of many jobs in one call, cancel jobs. The real one
// runs Slurm's own tools (sbatch --parsable, squeue -t all -O, scancel); a
// fake one scripts states for the runner's unit tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::exec {

struct SlurmJobState {
  std::string id;
  // Slurm's state name: PENDING, RUNNING, COMPLETING, COMPLETED, FAILED,
  // TIMEOUT, CANCELLED, OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, BOOT_FAIL,
  // DEADLINE, ...
  std::string state;
  std::string reason;    // Slurm's reason ("NonZeroExitCode", "None", ...)
  int wait_status = -1;  // the batch script's wait status (exit code << 8 | signal), -1 unknown
};

// True for states a job never leaves.
bool IsFinalSlurmState(const std::string& state);

class SlurmClient {
 public:
  virtual ~SlurmClient() = default;
  // Submits `script` (a shell script's text) with sbatch's `args`; the job id.
  virtual StatusOr<std::string> Submit(const std::vector<std::string>& args, const std::string& script) = 0;
  // The states of `ids`, one call for all. A job Slurm no longer knows is
  // absent from the answer.
  virtual StatusOr<std::vector<SlurmJobState>> Query(const std::vector<std::string>& ids) = 0;
  // Cancels `ids` (scancel), one call for all.
  virtual Status Cancel(const std::vector<std::string>& ids) = 0;
};

// Slurm's command-line tools, found in PATH.
class RealSlurmClient : public SlurmClient {
 public:
  StatusOr<std::string> Submit(const std::vector<std::string>& args, const std::string& script) override;
  StatusOr<std::vector<SlurmJobState>> Query(const std::vector<std::string>& ids) override;
  Status Cancel(const std::vector<std::string>& ids) override;
};

// The cluster's partitions (sinfo), the default one first; Unavailable,
// with what sinfo said, when Slurm does not answer.
StatusOr<std::vector<std::string>> SlurmPartitions();

// Parses `squeue -h -O "JobID:|,State:|,Reason:|,exit_code:|"` output.
std::vector<SlurmJobState> ParseSqueue(const std::string& text);

}  // namespace mlpipe::exec
