// DownloadSink: where the curl client writes a downloaded body, possibly as
// several ranges arriving at once. Hashing runs on its own thread over the
// part of the file written without a gap so far (re-reading the fresh
// pages), so the SHA-256 costs no time on the receiving threads; writeback
// is started every few MiB, so the store's fsync afterwards finds little
// left to write. Thread-safe: ranges may be written from several threads.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
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

  // Writes `n` bytes at `offset`. Each byte is written once (a range is
  // written front to back). False (with errno saved) when the file cannot
  // take them.
  bool WriteAt(uint64_t offset, const char* data, size_t n);
  // Empties the file and restarts the hash (before a retried download).
  void Reset();
  // Waits for the hasher; the hex SHA-256 of the bytes written without a
  // gap from offset 0, or the error that stopped it reading them back.
  StatusOr<std::string> Finish();

  // Bytes written so far (all ranges).
  uint64_t written() const;
  int write_errno() const;

 private:
  void Start();
  void Stop();
  void HashLoop();

  int fd_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  uint64_t written_ = 0;   // guarded by mu_
  uint64_t visible_ = 0;   // guarded by mu_: written without a gap from 0; the hasher may read this far
  uint64_t flushed_ = 0;   // guarded by mu_: writeback started up to here
  std::map<uint64_t, uint64_t> islands_;  // guarded by mu_: written [start, end) past a gap
  int write_errno_ = 0;    // guarded by mu_
  bool done_ = false;      // guarded by mu_
  std::string hex_;        // set by the hasher when done
  Status hash_status_;     // set by the hasher when done
  std::thread hasher_;
};

}  // namespace mlpipe::store
