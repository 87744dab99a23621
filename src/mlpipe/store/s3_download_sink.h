// DownloadSink: where the curl client writes a downloaded body. Hashing
// runs on its own thread a step behind the writes (re-reading the fresh
// pages of the file), so the SHA-256 costs no time on the receiving thread;
// writeback is started every few MiB, so the store's fsync afterwards finds
// little left to write. Used by one download at a time.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "mlpipe/base/status.h"

namespace mlpipe::store {

class DownloadSink {
 public:
  // `fd` must be open for reading and writing, empty, and outlive the sink.
  explicit DownloadSink(int fd);
  ~DownloadSink();
  DownloadSink(const DownloadSink&) = delete;
  DownloadSink& operator=(const DownloadSink&) = delete;

  // Appends `n` bytes; false (with errno saved) when the file cannot take them.
  bool Write(const char* data, size_t n);
  // Empties the file and restarts the hash (before a retried request).
  void Reset();
  // Waits for the hasher; the hex SHA-256 of everything written, or the
  // error that stopped it reading the file back.
  StatusOr<std::string> Finish();

  uint64_t written() const { return written_; }
  int write_errno() const { return write_errno_; }

 private:
  void Start();
  void Stop();
  void HashLoop();

  int fd_;
  uint64_t written_ = 0;  // the writer's own count
  uint64_t flushed_ = 0;  // writeback started up to here
  int write_errno_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t visible_ = 0;  // guarded by mu_: bytes the hasher may read
  bool done_ = false;     // guarded by mu_
  std::string hex_;       // set by the hasher when done
  Status hash_status_;    // set by the hasher when done
  std::thread hasher_;
};

}  // namespace mlpipe::store
