#include "mlpipe/ml/components/script_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <initializer_list>
#include <utility>
#include <string>
#include <vector>

#include "mlpipe/exec/spawn.h"

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
  // Forked (SpawnProcessGroup), not posix_spawned: a child that shares this
  // process's memory until it execs is charged its peak RSS, and the step's
  // PEAK RSS (wait4's, of the whole tree) would be this process's at least.
  exec::Command command;
  command.argv = {interpreter, "-c", script};
  exec::SpawnOptions options;
  options.new_process_group = false;
  options.fd3 = report.write;
  std::string error;
  const pid_t pid = exec::SpawnProcessGroup(command, /*stdout_fd=*/-1, /*stderr_fd=*/-1, &error, in.read, options);
  if (pid < 0) return NotFoundError(error);
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
