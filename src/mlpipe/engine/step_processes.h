// StepProcesses: the process groups of a run's steps, recorded while the run
// holds its pipeline's lock (locks/pipeline-<name>.steps: "PGID STARTTIME" a
// line, STARTTIME the leader's start in clock ticks since boot, from
// /proc/PID/stat), so that what a kill -9 of the run leaves behind is ended
// by the next run of the pipeline before it starts a step.
//
// Each step leader dies with its run (exec/spawn.h's parent-death signal);
// what it started in its group (a shell's background job) does not, and is
// what the next run finds here. A process counts as left behind if its
// process group is a recorded one, it started no earlier than the recorded
// leader, and the group's id is not taken by a newer leader (a pid reused
// since then has another start time).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::engine {

class StepProcesses {
 public:
  // Ends (SIGKILL) every process the record at `path` names that is still
  // running, then starts an empty record. Returns the pids it ended.
  static StatusOr<std::vector<pid_t>> EndLeftBehind(const std::string& path);

  explicit StepProcesses(std::string path);
  // Empties the record: the run ends with no step running.
  ~StepProcesses();
  StepProcesses(const StepProcesses&) = delete;
  StepProcesses& operator=(const StepProcesses&) = delete;

  // Records a step's process group (the pid of its leader, just started).
  // Best effort: a step that cannot be recorded still runs.
  void Record(pid_t pgid);

 private:
  std::string path_;
  int fd_ = -1;
};

// What /proc/PID/stat says of a process: its state ('R', 'S', ..., 'Z' for
// a zombie), process group and start time (clock ticks since boot).
struct ProcStat {
  char state = '?';
  pid_t group = 0;
  unsigned long long start = 0;
};
// nullopt if there is no process `pid`.
std::optional<ProcStat> ReadProcStat(pid_t pid);

}  // namespace mlpipe::engine
