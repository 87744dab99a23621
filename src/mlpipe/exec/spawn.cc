#include "mlpipe/exec/spawn.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "mlpipe/base/strings.h"

extern char** environ;

namespace mlpipe::exec {
namespace {

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// The PATH the child will see: from its environment if it sets one.
std::string PathFor(const Command& command) {
  if (!command.env.empty()) {
    for (const std::string& kv : command.env) {
      if (StartsWith(kv, "PATH=")) return kv.substr(5);
    }
  }
  const char* path = getenv("PATH");
  return path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
}

// Resolves a bare program name against PATH; "" if not found.
std::string Resolve(const std::string& program, const Command& command) {
  if (program.find('/') != std::string::npos) return program;
  for (const std::string& dir : Split(PathFor(command), ':')) {
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

// Writes errno to `report` for the parent, and exits.
[[noreturn]] void ReportAndExit(int report) {
  const int saved = errno;
  [[maybe_unused]] ssize_t n = write(report, &saved, sizeof saved);
  _exit(127);
}

// The child between fork and exec: async-signal-safe calls only. Leads a
// new process group; with `parent` set, dies by SIGKILL when `parent` does
// (checked once more after the prctl, in case it died before); empty signal
// mask and default dispositions for the signals mlpipe handles; the standard
// streams, the cwd, then exec. On failure writes errno to `report` and exits
// 127.
[[noreturn]] void ChildAfterFork(const char* path, char* const* argv, char* const* env, const char* cwd,
                                 int stdin_fd, int stdout_fd, int stderr_fd, pid_t parent, int report) {
  if (setpgid(0, 0) != 0) ReportAndExit(report);
  if (parent != 0) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) ReportAndExit(report);
    if (getppid() != parent) _exit(127);  // the parent died before the prctl
  }
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2})
    sigaction(s, &dfl, nullptr);
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
  if (stdin_fd >= 0) {
    if (dup2(stdin_fd, 0) < 0) ReportAndExit(report);
  } else {
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0) ReportAndExit(report);
    if (null_fd != 0) {
      if (dup2(null_fd, 0) < 0) ReportAndExit(report);
      close(null_fd);
    }
  }
  // dup2 onto 0/1/2 clears FD_CLOEXEC on the copies; the originals close at exec.
  if (stdout_fd >= 0 && dup2(stdout_fd, 1) < 0) ReportAndExit(report);
  if (stderr_fd >= 0 && dup2(stderr_fd, 2) < 0) ReportAndExit(report);
  if (cwd != nullptr && chdir(cwd) != 0) ReportAndExit(report);
  execve(path, argv, env);
  ReportAndExit(report);
}

}  // namespace

pid_t SpawnProcessGroup(const Command& command, int stdout_fd, int stderr_fd, std::string* error,
                        int stdin_fd, const SpawnOptions& options) {
  const std::string& program = command.argv.at(0);
  if (!command.cwd.empty()) {
    struct stat st {};
    const char* problem = nullptr;
    if (stat(command.cwd.c_str(), &st) != 0) {
      problem = strerror(errno);
    } else if (!S_ISDIR(st.st_mode)) {
      problem = "is not a directory";
    }
    if (problem != nullptr) {
      *error = fmt::format("cannot run '{}': working directory '{}': {}", program, command.cwd, problem);
      return -1;
    }
  }
  std::string resolved = Resolve(program, command);
  if (resolved.empty()) {
    *error = fmt::format("cannot run '{}': not found in PATH", program);
    return -1;
  }
  // Everything the child needs is made before fork: between fork and exec it
  // makes system calls only (the parent has other threads).
  std::vector<char*> argv = CStrings(command.argv);
  std::vector<char*> envp;
  if (!command.env.empty()) envp = CStrings(command.env);
  char* const* env = command.env.empty() ? environ : envp.data();
  const char* cwd = command.cwd.empty() ? nullptr : command.cwd.c_str();
  // The child reports a failed exec's errno here; exec closes it (CLOEXEC).
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    *error = fmt::format("cannot run '{}': {}", program, strerror(errno));
    return -1;
  }
  const pid_t parent = getpid();
  // fork, not vfork or posix_spawn: a child that shares our memory until it
  // execs is charged our peak RSS (the kernel keeps the old memory's high
  // water mark across exec), and every step would report at least mlpipe's
  // own RSS. A forked child starts from our anonymous pages only.
  const pid_t pid = fork();
  if (pid == 0) {
    ChildAfterFork(resolved.c_str(), argv.data(), env, cwd, stdin_fd, stdout_fd, stderr_fd,
                   options.die_with_parent ? parent : 0, report[1]);
  }
  const int fork_errno = errno;
  close(report[1]);
  if (pid < 0) {
    close(report[0]);
    *error = fmt::format("cannot run '{}': {}", program, strerror(fork_errno));
    return -1;
  }
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    // The child could not exec and has exited: reap it here.
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    *error = fmt::format("cannot run '{}': {}", program, strerror(child_errno));
    return -1;
  }
  return pid;
}

}  // namespace mlpipe::exec
