#include "mlpipe/ml/worker_launcher.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "mlpipe/exec/spawn.h"

namespace mlpipe::ml {
namespace {

class RealLauncher : public WorkerLauncher {
 public:
  StatusOr<WorkerProcess> Launch(const exec::Command& command) override {
    int io[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, io) != 0) return ErrnoError("socketpair", errno);
    int err[2];
    if (pipe2(err, O_CLOEXEC) != 0) {
      Status s = ErrnoError("pipe", errno);
      close(io[0]);
      close(io[1]);
      return s;
    }
    std::string error;
    const pid_t pid = exec::SpawnProcessGroup(command, io[1], err[1], &error, io[1]);
    close(io[1]);
    close(err[1]);
    if (pid < 0) {
      close(io[0]);
      close(err[0]);
      return UnavailableError(error);
    }
    return WorkerProcess{pid, io[0], err[0]};
  }

  void Signal(pid_t pid, int signal) override {
    if (pid > 0) ::kill(-pid, signal);
  }

  std::optional<std::string> Wait(pid_t pid, int64_t timeout_ns) override {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
    for (;;) {
      int status = 0;
      const pid_t r = waitpid(pid, &status, WNOHANG);
      if (r == pid) {
        exec::CommandResult result;
        if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
        return result.Describe();
      }
      if (r < 0 && errno != EINTR) return fmt::format("gone ({})", strerror(errno));  // reaped elsewhere
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
};

}  // namespace

WorkerLauncher& RealWorkerLauncher() {
  static RealLauncher launcher;
  return launcher;
}

}  // namespace mlpipe::ml
