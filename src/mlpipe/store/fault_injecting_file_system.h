// FaultInjectingFileSystem: wraps a FileSystem and makes chosen calls fail,
// for crash-safety tests of the object store and anything else on disk.
//
//   FaultInjectingFileSystem fs(PosixFileSystem());
//   fs.Arm({.kind = FaultKind::kRename, .nth = 2});        // 2nd rename fails once
//   fs.Arm({.kind = FaultKind::kDiskFull, .after_bytes = 4096, .always = true});
//
// Counting starts when Arm is called. A one-shot fault fires on the Nth
// matching call and then disarms; an `always` fault fires on the Nth and every
// later matching call. Disk full makes writes fail with ENOSPC once `after_bytes`
// bytes have been written since arming (a partial write is not simulated: the
// write that would cross the limit fails whole).
//
// Thread-safe (one mutex); the wrapped FileSystem must outlive this object.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>

#include "mlpipe/store/file_system.h"

namespace mlpipe::store {

enum class FaultKind {
  kWrite,     // WritableFile::Append fails (EIO)
  kSync,      // WritableFile::Sync, ReadableFile::Sync or SyncDir fails (EIO)
  kRename,    // Rename fails (EIO)
  kLink,      // Link fails (EXDEV-like: kInternal), so callers fall back to copy
  kDiskFull,  // Append fails with ENOSPC after `after_bytes`
};

struct Fault {
  FaultKind kind = FaultKind::kWrite;
  int nth = 1;               // 1 = the first matching call after arming
  bool always = false;       // keep failing after the first failure
  uint64_t after_bytes = 0;  // kDiskFull only
};

class FaultInjectingFileSystem : public FileSystem {
 public:
  explicit FaultInjectingFileSystem(FileSystem& base) : base_(base) {}

  void Arm(const Fault& fault);
  // When true, Sync/SyncDir succeed without reaching the disk (tests that
  // only care about ordering and failures run much faster). Default false.
  void set_skip_real_sync(bool skip);
  bool skip_real_sync() const;
  void Disarm();
  // How many calls failed because of the armed fault since it was armed.
  int failures() const;
  // Bytes successfully written through Append since construction.
  uint64_t bytes_written() const;
  // Number of successful Append calls since construction.
  uint64_t write_calls() const;

  StatusOr<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) override;
  StatusOr<TempFile> CreateTempFile(const std::string& dir, const std::string& prefix) override;
  StatusOr<std::string> CreateTempDir(const std::string& dir, const std::string& prefix) override {
    return base_.CreateTempDir(dir, prefix);
  }
  Status SyncDir(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Link(const std::string& from, const std::string& to) override;
  Status Unlink(const std::string& path) override { return base_.Unlink(path); }
  Status MakeDir(const std::string& path) override { return base_.MakeDir(path); }
  Status RemoveDir(const std::string& path) override { return base_.RemoveDir(path); }
  Status Chmod(const std::string& path, uint32_t mode) override { return base_.Chmod(path, mode); }
  Status SetMtime(const std::string& path, int64_t mtime_ns) override {
    return base_.SetMtime(path, mtime_ns);
  }
  StatusOr<bool> CloneFile(const std::string& from, const std::string& to) override {
    return base_.CloneFile(from, to);
  }
  StatusOr<FileStat> Stat(const std::string& path) override { return base_.Stat(path); }
  StatusOr<DiskSpace> Space(const std::string& path) override { return base_.Space(path); }
  StatusOr<std::vector<DirEntry>> ReadDir(const std::string& path) override { return base_.ReadDir(path); }

  // Used by the wrapped file objects. Returns a non-OK Status if this call of
  // `kind` must fail; `bytes` is the size of a write.
  Status MaybeFail(FaultKind kind, const std::string& what, uint64_t bytes = 0);
  void CountWrite(uint64_t bytes);

 private:
  FileSystem& base_;
  mutable std::mutex mu_;
  std::optional<Fault> fault_;
  int calls_ = 0;
  int failures_ = 0;
  uint64_t bytes_since_arm_ = 0;
  uint64_t bytes_written_ = 0;
  uint64_t write_calls_ = 0;
  bool skip_real_sync_ = false;
};

}  // namespace mlpipe::store
