#include "mlpipe/exec/log_capture.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace mlpipe::exec {
namespace {

void CloseFd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

int OpenLog(const std::string& path) {
  return open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

}  // namespace

LogCapture::~LogCapture() { CloseAll(); }

LogCapture::LogCapture(LogCapture&& other) noexcept { *this = std::move(other); }

LogCapture& LogCapture::operator=(LogCapture&& other) noexcept {
  if (this != &other) {
    CloseAll();
    path_ = std::move(other.path_);
    read_fd_ = std::exchange(other.read_fd_, -1);
    write_fd_ = std::exchange(other.write_fd_, -1);
    file_fd_ = std::exchange(other.file_fd_, -1);
    bytes_ = std::exchange(other.bytes_, 0);
    error_ = std::move(other.error_);
  }
  return *this;
}

void LogCapture::CloseAll() {
  CloseFd(read_fd_);
  CloseFd(write_fd_);
  CloseFd(file_fd_);
}

StatusOr<LogCapture> LogCapture::Open(std::string path) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return InternalError(fmt::format("pipe for {}: {}", path, strerror(errno)));
  // Only the runner's end is non-blocking: a child writing a full pipe waits.
  if (fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
    close(fds[0]);
    close(fds[1]);
    return InternalError(fmt::format("pipe for {}: {}", path, strerror(errno)));
  }
  LogCapture capture;
  capture.path_ = std::move(path);
  capture.read_fd_ = fds[0];
  capture.write_fd_ = fds[1];
  return capture;
}

void LogCapture::CloseWriteEnd() { CloseFd(write_fd_); }

void LogCapture::Write(const char* data, size_t size) {
  if (!error_.empty()) return;
  if (file_fd_ < 0) {
    file_fd_ = OpenLog(path_);
    if (file_fd_ < 0 && errno == ENOENT) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path_).parent_path(), ec);
      file_fd_ = OpenLog(path_);
    }
    if (file_fd_ < 0) {
      error_ = fmt::format("cannot write log file '{}': {}", path_, strerror(errno));
      return;
    }
  }
  while (size > 0) {
    ssize_t n = write(file_fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error_ = fmt::format("writing log file '{}': {}", path_, strerror(errno));
      return;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

bool LogCapture::Drain() {
  if (read_fd_ < 0) return false;
  char buf[65536];
  for (;;) {
    ssize_t n = read(read_fd_, buf, sizeof buf);
    if (n > 0) {
      bytes_ += n;
      Write(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    CloseFd(read_fd_);  // end-of-file, or an error that ends the stream alike
    CloseFd(file_fd_);
    return false;
  }
}

void LogCapture::Finish() {
  Drain();
  CloseFd(read_fd_);
  CloseFd(file_fd_);
}

}  // namespace mlpipe::exec
