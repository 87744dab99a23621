// SpawnProcessGroup: the fork and exec behind LocalRunner, the model
// package's predictor workers (ml/worker_launcher.h) and the server's child
// processes.
#pragma once

#include <sys/types.h>

#include <string>

#include "mlpipe/exec/command_runner.h"

namespace mlpipe::exec {

// Starts `command` as the leader of a new process group (see SpawnOptions): stdin from `stdin_fd`
// (-1: /dev/null), stdout/stderr to `stdout_fd` / `stderr_fd` (-1: the
// caller's; the runner passes the write ends of its LogCapture pipes; the same
// fd may be several of them),
// chdir to its cwd, its environment (or the caller's when empty), default
// dispositions for the signals the parent handles and an empty signal mask.
// argv[0] without a '/' is searched in the PATH of the command's environment
// (the caller's PATH when the environment has none).
// Returns the pid, or a message for people such as
// "cannot run 'nosuch': No such file or directory" (in `*error`) and -1.
//
// The child is forked (not vforked): its peak RSS (wait4's ru_maxrss) is its
// own plus at most the caller's anonymous memory at the fork, not the
// caller's whole RSS, which a child sharing the caller's memory until exec
// is charged.
struct SpawnOptions {
  // The child gets SIGKILL when the calling thread's process dies
  // (PR_SET_PDEATHSIG): a kill -9 of a run takes its steps with it. Only for
  // a caller that outlives its children on the thread that spawns them (the
  // signal follows the spawning thread). Default false: server children
  // outlive the server.
  bool die_with_parent = false;
  // False: the child stays in the caller's process group, so that what
  // signals the caller's group (a step's timeout) reaches it too.
  bool new_process_group = true;
  // Not -1: passed to the child as its fd 3 (a report pipe); must be above 3.
  int fd3 = -1;
};
pid_t SpawnProcessGroup(const Command& command, int stdout_fd, int stderr_fd, std::string* error,
                        int stdin_fd = -1, const SpawnOptions& options = {});

// SpawnProcessGroup's checks before the fork, for a caller that has the
// fork done elsewhere (the step spawner, spawner_client.h): the cwd must be
// a folder, and argv[0] is resolved against the command's PATH. Returns the
// program's path, or "" with the message in `*error`.
std::string ResolveForSpawn(const Command& command, std::string* error);

}  // namespace mlpipe::exec
