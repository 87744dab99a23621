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
  {
    std::lock_guard lock(mu_);
    written_ = visible_ = flushed_ = 0;
    islands_.clear();
    write_errno_ = 0;
    done_ = false;
  }
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

uint64_t DownloadSink::written() const {
  std::lock_guard lock(mu_);
  return written_;
}

int DownloadSink::write_errno() const {
  std::lock_guard lock(mu_);
  return write_errno_;
}

bool DownloadSink::WriteAt(uint64_t offset, const char* data, size_t n) {
  for (size_t done = 0; done < n;) {
    ssize_t w = ::pwrite(fd_, data + done, n - done, static_cast<off_t>(offset + done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      std::lock_guard lock(mu_);
      write_errno_ = errno;
      return false;
    }
    done += static_cast<size_t>(w);
  }
  uint64_t flush_from = 0, flush_to = 0;
  {
    std::lock_guard lock(mu_);
    written_ += n;
    const uint64_t end = offset + n;
    if (offset == visible_) {
      visible_ = end;
    } else if (auto it = islands_.upper_bound(offset); it != islands_.begin() && std::prev(it)->second == offset) {
      std::prev(it)->second = end;  // a range continuing past a gap
    } else {
      islands_[offset] = end;  // a range's first bytes
    }
    // Islands that now touch what comes before them.
    for (auto it = islands_.begin(); it != islands_.end() && it->first == visible_; it = islands_.erase(it))
      visible_ = it->second;
    for (auto it = islands_.begin(); it != islands_.end();) {
      auto next = std::next(it);
      if (next != islands_.end() && next->first == it->second) {
        it->second = next->second;
        islands_.erase(next);
      } else {
        it = next;
      }
    }
    if (visible_ - flushed_ >= kSinkWritebackEvery) {
      flush_from = flushed_;
      flush_to = flushed_ = visible_;
    }
  }
  cv_.notify_one();
  // Starts writeback without waiting for it.
  if (flush_to > flush_from)
    (void)::sync_file_range(fd_, static_cast<off_t>(flush_from), static_cast<off_t>(flush_to - flush_from),
                            SYNC_FILE_RANGE_WRITE);
  return true;
}

void DownloadSink::Reset() {
  Stop();
  (void)::ftruncate(fd_, 0);
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
