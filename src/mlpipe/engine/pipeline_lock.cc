#include "mlpipe/engine/pipeline_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <ostream>
#include <string>

#include <fmt/format.h>

namespace mlpipe::engine {

PipelineLock::~PipelineLock() {
  if (fd_ >= 0) ::close(fd_);
}

Status PipelineLock::Acquire(const std::string& path, const std::function<void(const std::string&)>& on_wait) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoError("open lock " + path, errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return OkStatus();
  if (errno != EWOULDBLOCK) return ErrnoError("lock " + path, errno);
  char buf[256] = {};
  ssize_t n = ::pread(fd_, buf, sizeof(buf) - 1, 0);
  if (on_wait) on_wait(n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("another process"));
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) return ErrnoError("lock " + path, errno);
  }
  return OkStatus();
}

void PipelineLock::SetHolderInfo(const std::string& info) {
  if (fd_ < 0) return;
  if (::ftruncate(fd_, 0) == 0) {
    ssize_t ignored = ::pwrite(fd_, info.data(), info.size(), 0);
    (void)ignored;
  }
}

StatusOr<bool> LockPipeline(PipelineLock& lock, const store::Workspace& ws, const std::string& pipeline,
                            std::ostream& err) {
  bool waited = false;
  RETURN_IF_ERROR(lock.Acquire(ws.LockPath("pipeline-" + pipeline), [&](const std::string& holder) {
    waited = true;
    err << fmt::format("mlpipe: waiting for another run of pipeline '{}' to finish ({})\n", pipeline, holder);
  }));
  return waited;
}

}  // namespace mlpipe::engine
