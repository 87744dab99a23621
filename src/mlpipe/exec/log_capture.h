// LogCapture: one output stream of a running command (stdout, stderr, or
// both into one file), read from a pipe and copied to its log file, which is
// made (with its folder) only when the first byte arrives.
//
// Why a pipe instead of handing the child the file: most steps of a large
// pipeline print nothing, and two empty log files per step were two of the
// five new inodes a step cost (on ext4 an inode allocation shortly after many
// deletions takes from 0.1 to several ms). A silent step now leaves no file
// at all; readers treat a missing log as an empty one.
//
// The runner owns the read end (non-blocking, close-on-exec) and polls it;
// the child gets the write end as fd 1 and/or 2. Not thread-safe: the thread
// that drives the runner reads every capture.
#pragma once

#include <string>

#include "mlpipe/base/status.h"

namespace mlpipe::exec {

class LogCapture {
 public:
  LogCapture() = default;
  ~LogCapture();
  LogCapture(LogCapture&& other) noexcept;
  LogCapture& operator=(LogCapture&& other) noexcept;
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  // A pipe whose bytes go to `path` (made, with missing parent folders, at
  // the first byte; truncated if it exists then).
  static StatusOr<LogCapture> Open(std::string path);

  // The end the child writes (fd 1 or 2 after dup2); -1 once closed.
  int write_fd() const { return write_fd_; }
  // Closes the parent's copy of the write end: call right after the spawn,
  // so the pipe reaches end-of-file when the child's copies close.
  void CloseWriteEnd();
  // The end the runner polls; -1 after end-of-file.
  int read_fd() const { return read_fd_; }
  // Copies what the pipe holds now to the log file. Returns false once the
  // pipe reached end-of-file (the read end is then closed).
  bool Drain();
  // Drain, then close the read end whether or not end-of-file came (a
  // grandchild that still holds the write end gets SIGPIPE on its next write).
  void Finish();

  const std::string& path() const { return path_; }
  // Bytes copied so far.
  int64_t bytes() const { return bytes_; }
  // Why the log file could not be written ("" if it could); the bytes are
  // then read and dropped, so the child never blocks on a full pipe.
  const std::string& error() const { return error_; }

 private:
  void Write(const char* data, size_t size);
  void CloseAll();

  std::string path_;
  int read_fd_ = -1;
  int write_fd_ = -1;
  int file_fd_ = -1;
  int64_t bytes_ = 0;
  std::string error_;
};

}  // namespace mlpipe::exec
