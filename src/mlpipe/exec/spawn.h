// SpawnProcessGroup: the posix_spawn call behind LocalRunner and the model
// package's predictor workers (ml/worker_launcher.h).
#pragma once

#include <sys/types.h>

#include <string>

#include "mlpipe/exec/command_runner.h"

namespace mlpipe::exec {

// Starts `command` as the leader of a new process group: stdin from `stdin_fd`
// (-1: /dev/null), stdout/stderr to `stdout_fd` / `stderr_fd` (-1: the
// caller's; the runner passes the write ends of its LogCapture pipes; the same
// fd may be several of them),
// chdir to its cwd, its environment (or the caller's when empty), default
// dispositions for the signals the parent handles and an empty signal mask.
// argv[0] without a '/' is searched in the PATH of the command's environment
// (the caller's PATH when the environment has none).
// Returns the pid, or a message for people such as
// "cannot run 'nosuch': No such file or directory" (in `*error`) and -1.
pid_t SpawnProcessGroup(const Command& command, int stdout_fd, int stderr_fd, std::string* error,
                        int stdin_fd = -1);

}  // namespace mlpipe::exec
