// WorkerLauncher: starts, signals and reaps the processes of a command
// predictor's pool (worker_pool.h), behind an interface so that tests can
// inject faults (a launch that fails, a worker that dies on start).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/exec/command_runner.h"

namespace mlpipe::ml {

// A started worker: its pid (the leader of its own process group) and the
// parent's ends of its streams. The fds are close-on-exec; the pool owns them.
struct WorkerProcess {
  pid_t pid = -1;
  int io_fd = -1;   // a stream socket that is the worker's stdin and stdout
  int err_fd = -1;  // the read end of the worker's stderr
};

class WorkerLauncher {
 public:
  virtual ~WorkerLauncher() = default;
  // Starts `command` (argv, environment, working folder; its stdout and
  // stderr paths are ignored). Unavailable with the reason ("cannot run
  // 'python4': not found in PATH") if it cannot be started.
  virtual StatusOr<WorkerProcess> Launch(const exec::Command& command) = 0;
  // Sends `signal` to the worker's process group.
  virtual void Signal(pid_t pid, int signal) = 0;
  // Reaps the worker if it ends within `timeout_ns` (0: only if it already
  // has): how it ended ("exit 1", "killed by SIGKILL"), or nullopt if it is
  // still running.
  virtual std::optional<std::string> Wait(pid_t pid, int64_t timeout_ns) = 0;
};

// Real processes through exec::SpawnProcessGroup. Thread-safe.
WorkerLauncher& RealWorkerLauncher();

}  // namespace mlpipe::ml
