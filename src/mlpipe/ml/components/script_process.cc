#include "mlpipe/ml/components/script_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <initializer_list>
#include <utility>
#include <vector>

extern char** environ;

namespace mlpipe::ml::components {
namespace {

// A pipe whose ends are close-on-exec and numbered above 3, so that the
// child's dup2 onto 0 and 3 never lands on an end of its own.
struct Pipe {
  int read = -1;
  int write = -1;
  ~Pipe() { CloseBoth(); }
  void CloseBoth() {
    CloseRead();
    CloseWrite();
  }
  void CloseRead() {
    if (read >= 0) close(read);
    read = -1;
  }
  void CloseWrite() {
    if (write >= 0) close(write);
    write = -1;
  }
};

Status MakePipe(Pipe* p) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe", errno);
  for (int i = 0; i < 2; ++i) {
    int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 10);
    int err = errno;
    close(fds[i]);
    fds[i] = moved;
    if (moved < 0) {
      if (i == 1) close(fds[0]);
      return ErrnoError("pipe", err);
    }
  }
  p->read = fds[0];
  p->write = fds[1];
  return OkStatus();
}

// Sets the given signals to be ignored for its lifetime, then restores them.
class IgnoredSignals {
 public:
  explicit IgnoredSignals(std::initializer_list<int> signals) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    saved_.reserve(signals.size());
    for (int signo : signals) {
      saved_.push_back({signo, {}});
      sigaction(signo, &ignore, &saved_.back().second);
    }
  }
  ~IgnoredSignals() {
    for (auto& [signo, previous] : saved_) sigaction(signo, &previous, nullptr);
  }
  IgnoredSignals(const IgnoredSignals&) = delete;
  IgnoredSignals& operator=(const IgnoredSignals&) = delete;

 private:
  std::vector<std::pair<int, struct sigaction>> saved_;
};

// Writes all of `text` to `fd` (SIGPIPE ignored); a reader that went away (EPIPE) is not an
// error: the child's exit status says why it stopped reading.
Status WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  int err = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (err != 0 && err != EPIPE) return ErrnoError("write to the script's stdin", err);
  return OkStatus();
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

StatusOr<ScriptResult> RunScript(const std::string& interpreter, const std::string& script,
                                 const std::string& request) {
  Pipe in, report;
  RETURN_IF_ERROR(MakePipe(&in));
  RETURN_IF_ERROR(MakePipe(&report));
  // A step's timeout or interrupt signals the whole process group: the child
  // gets it and winds down (the notebook runner saves what ran), while this
  // process waits for it instead of ending first and getting the group
  // killed with it. A write to a child that stopped reading gives EPIPE.
  IgnoredSignals ignored({SIGTERM, SIGINT, SIGPIPE});
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int signo : {SIGTERM, SIGINT, SIGPIPE}) sigaddset(&defaults, signo);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  posix_spawn_file_actions_adddup2(&actions, report.write, 3);
  std::vector<std::string> args = {interpreter, "-c", script};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, interpreter.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return NotFoundError(fmt::format("cannot run '{}': {}", interpreter, std::strerror(rc)));
  in.CloseRead();
  report.CloseWrite();
  Status wrote = WriteAll(in.write, request);
  in.CloseWrite();  // end of the request
  ScriptResult result;
  result.report = ReadAll(report.read);  // until the child (and only it holds fd 3) exits
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return ErrnoError(fmt::format("wait for '{}'", interpreter), errno);
  }
  RETURN_IF_ERROR(wrote);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  return result;
}

}  // namespace mlpipe::ml::components
