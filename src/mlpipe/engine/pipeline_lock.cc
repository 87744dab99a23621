#include "mlpipe/engine/pipeline_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <ostream>
#include <string>

#include "mlpipe/exec/command_runner.h"
#include "mlpipe/exec/interrupt.h"

namespace mlpipe::engine {
namespace {

// How often a waiter tries the lock again: flock has no timeout, and a
// blocking flock restarts after a signal handled with SA_RESTART.
constexpr int kRetryMs = 50;

}  // namespace

FileLock::~FileLock() { Release(); }

Status FileLock::Acquire(const std::string& path, LockMode mode,
                         const std::function<void(const std::string&)>& on_wait, bool wait) {
  Release();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoError("open lock " + path, errno);
  mode_ = mode;
  const int op = mode == LockMode::kShared ? LOCK_SH : LOCK_EX;
  bool told = false;
  for (;;) {
    if (::flock(fd_, op | LOCK_NB) == 0) {
      locked_ = true;
      return OkStatus();
    }
    if (errno != EWOULDBLOCK && errno != EINTR) {
      Status error = ErrnoError("lock " + path, errno);
      Release();
      return error;
    }
    if (!told) {
      told = true;
      char buf[256] = {};
      ssize_t n = ::pread(fd_, buf, sizeof(buf) - 1, 0);
      const std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "another process";
      if (on_wait) on_wait(holder);
      if (!wait) {
        Release();
        return FailedPreconditionError(fmt::format("{} is held by {}", path, holder));
      }
    }
    if (exec::InterruptRequested()) {
      Release();
      return CancelledError(fmt::format("interrupted by {} while waiting for {}",
                                        exec::SignalName(exec::InterruptSignal()), path));
    }
    pollfd pfd{exec::InterruptFd(), POLLIN, 0};
    (void)::poll(&pfd, pfd.fd >= 0 ? 1 : 0, kRetryMs);
  }
}

void FileLock::SetHolderInfo(const std::string& info) {
  if (!locked_ || mode_ != LockMode::kExclusive) return;
  if (::ftruncate(fd_, 0) == 0) {
    ssize_t ignored = ::pwrite(fd_, info.data(), info.size(), 0);
    (void)ignored;
  }
}

void FileLock::Release() {
  if (fd_ < 0) return;
  if (locked_ && mode_ == LockMode::kExclusive) (void)::ftruncate(fd_, 0);
  ::close(fd_);
  fd_ = -1;
  locked_ = false;
}

StatusOr<bool> LockPipeline(FileLock& lock, const store::Workspace& ws, const std::string& pipeline,
                            std::ostream& err) {
  bool waited = false;
  RETURN_IF_ERROR(
      lock.Acquire(ws.LockPath("pipeline-" + pipeline), LockMode::kExclusive, [&](const std::string& holder) {
        waited = true;
        err << fmt::format("mlpipe: waiting for another run of pipeline '{}' to finish ({})\n", pipeline,
                           holder);
      }));
  return waited;
}

Status LockWorkspaceShared(FileLock& lock, const store::Workspace& ws, std::ostream& err) {
  return lock.Acquire(ws.LockPath("workspace"), LockMode::kShared, [&](const std::string& holder) {
    err << fmt::format("mlpipe: waiting for `mlpipe artifacts gc` to finish ({})\n", holder);
  });
}

}  // namespace mlpipe::engine
