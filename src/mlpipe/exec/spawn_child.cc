#include "mlpipe/exec/spawn_child.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace mlpipe::exec {
namespace {

// Writes errno to `report` for the parent, and exits.
[[noreturn]] void SpawnChildReportAndExit(int report) {
  const int saved = errno;
  [[maybe_unused]] ssize_t n = write(report, &saved, sizeof saved);
  _exit(127);
}

// The child between fork and exec: async-signal-safe calls only (the parent
// may have other threads). With `parent` set, dies by SIGKILL when `parent`
// does (checked once more after the prctl, in case it died before).
[[noreturn]] void SpawnChildAfterFork(const ChildSetup& s, int report) {
  if (s.new_process_group && setpgid(0, 0) != 0) SpawnChildReportAndExit(report);
  if (s.parent != 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) SpawnChildReportAndExit(report);
    if (getppid() != s.parent) _exit(127);  // the parent died before the prctl
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2};
  for (int sig : handled) sigaction(sig, &dfl, nullptr);
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
  if (s.stdin_fd >= 0) {
    if (dup2(s.stdin_fd, 0) < 0) SpawnChildReportAndExit(report);
  } else {
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0) SpawnChildReportAndExit(report);
    if (null_fd != 0) {
      if (dup2(null_fd, 0) < 0) SpawnChildReportAndExit(report);
      close(null_fd);
    }
  }
  // dup2 onto 0/1/2 clears FD_CLOEXEC on the copies; the originals close at exec.
  if (s.stdout_fd >= 0 && dup2(s.stdout_fd, 1) < 0) SpawnChildReportAndExit(report);
  if (s.stderr_fd >= 0 && dup2(s.stderr_fd, 2) < 0) SpawnChildReportAndExit(report);
  if (s.fd3 >= 0 && dup2(s.fd3, 3) < 0) SpawnChildReportAndExit(report);
  if (s.cwd != nullptr && chdir(s.cwd) != 0) SpawnChildReportAndExit(report);
  execve(s.path, s.argv, s.env);
  SpawnChildReportAndExit(report);
}

}  // namespace

pid_t ForkExecChild(const ChildSetup& setup, int* error_number) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    *error_number = errno;
    return -1;
  }
  // fork, not vfork or posix_spawn: a child that shares our memory until it
  // execs is charged our peak RSS (the kernel keeps the old memory's high
  // water mark across exec). A forked child starts from our anonymous pages.
  const pid_t pid = fork();
  if (pid == 0) SpawnChildAfterFork(setup, report[1]);
  const int fork_errno = errno;
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    *error_number = fork_errno;
    return -1;
  }
  int child_errno = 0;
  const ssize_t n = TEMP_FAILURE_RETRY(read(report[0], &child_errno, sizeof child_errno));
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    // The child could not exec and has exited: reap it here.
    TEMP_FAILURE_RETRY(waitpid(pid, nullptr, 0));
    *error_number = child_errno;
    return -1;
  }
  return pid;
}

}  // namespace mlpipe::exec
