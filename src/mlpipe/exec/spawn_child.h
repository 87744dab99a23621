// The fork and exec of one process, shared by SpawnProcessGroup (spawn.h)
// and the step spawner (spawner_main.cc, which links libc and this file
// only): everything here is plain system calls, no allocation after fork.
#pragma once

#include <sys/types.h>

namespace mlpipe::exec {

struct ChildSetup {
  const char* path = nullptr;  // resolved: execve does no PATH search
  char* const* argv = nullptr;
  char* const* env = nullptr;
  const char* cwd = nullptr;  // nullptr: the caller's
  int stdin_fd = -1;          // -1: /dev/null
  int stdout_fd = -1;         // -1: the caller's
  int stderr_fd = -1;         // -1: the caller's
  int fd3 = -1;               // not -1: becomes the child's fd 3 (must be above 3)
  bool new_process_group = true;  // false: stays in the caller's group
  // Not 0: the child gets SIGKILL when the forking thread of process
  // `parent` dies (PR_SET_PDEATHSIG), and exits at once if it already has.
  pid_t parent = 0;
};

// Forks a child that leads a new process group (unless told not to), with default dispositions
// for the signals mlpipe handles, an empty signal mask, the streams and cwd
// of `setup`, and execs. Returns the pid once the exec succeeded. On failure
// returns -1 with the errno of the fork or of the child's failed step in
// `*error_number` (the child is then reaped); the child reports it through a
// CLOEXEC pipe, which the exec closes.
pid_t ForkExecChild(const ChildSetup& setup, int* error_number);

}  // namespace mlpipe::exec
