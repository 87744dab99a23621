#include "mlpipe/store/s3_download_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "mlpipe/base/sha256.h"

namespace mlpipe::store {
namespace {

constexpr uint64_t kSinkWritebackEvery = uint64_t{8} << 20;
constexpr size_t kSinkHashChunk = 1 << 20;

}  // namespace

DownloadSink::DownloadSink(int fd) : fd_(fd) { Start(); }

DownloadSink::~DownloadSink() { Stop(); }

void DownloadSink::Start() {
  written_ = flushed_ = visible_ = 0;
  write_errno_ = 0;
  done_ = false;
  hex_.clear();
  hash_status_ = OkStatus();
  hasher_ = std::thread([this] { HashLoop(); });
}

void DownloadSink::Stop() {
  if (!hasher_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_one();
  hasher_.join();
}

bool DownloadSink::Write(const char* data, size_t n) {
  for (size_t done = 0; done < n;) {
    ssize_t w = ::write(fd_, data + done, n - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      write_errno_ = errno;
      return false;
    }
    done += static_cast<size_t>(w);
  }
  written_ += n;
  if (written_ - flushed_ >= kSinkWritebackEvery) {
    // Starts writeback without waiting for it.
    (void)::sync_file_range(fd_, static_cast<off_t>(flushed_), static_cast<off_t>(written_ - flushed_),
                            SYNC_FILE_RANGE_WRITE);
    flushed_ = written_;
  }
  {
    std::lock_guard lock(mu_);
    visible_ = written_;
  }
  cv_.notify_one();
  return true;
}

void DownloadSink::Reset() {
  Stop();
  (void)::ftruncate(fd_, 0);
  (void)::lseek(fd_, 0, SEEK_SET);
  Start();
}

StatusOr<std::string> DownloadSink::Finish() {
  Stop();
  if (!hash_status_.ok()) return hash_status_;
  return hex_;
}

void DownloadSink::HashLoop() {
  Sha256 hash;
  std::vector<char> buf(kSinkHashChunk);
  uint64_t hashed = 0;
  for (;;) {
    uint64_t target;
    bool last;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return visible_ > hashed || done_; });
      target = visible_;
      last = done_;
    }
    while (hashed < target) {
      ssize_t r = ::pread(fd_, buf.data(), std::min<uint64_t>(buf.size(), target - hashed),
                          static_cast<off_t>(hashed));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        hash_status_ = ErrnoError("reading a download back to hash it", r < 0 ? errno : EIO);
        return;
      }
      hash.Update(buf.data(), static_cast<size_t>(r));
      hashed += static_cast<uint64_t>(r);
    }
    if (last) break;
  }
  hex_ = DigestHex(hash.Finish());
}

}  // namespace mlpipe::store
