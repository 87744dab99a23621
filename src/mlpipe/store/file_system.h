// FileSystem: every side effect the store makes on disk goes through this
// interface, so tests can inject faults (see fault_injecting_file_system.h).
//
// All paths are plain strings; no call follows symlinks unless it says so.
// Errors are Status values built with ErrnoError, so the code tells the cause:
// kNotFound (ENOENT), kAlreadyExists (EEXIST), kResourceExhausted (ENOSPC),
// kFailedPrecondition (EACCES/EPERM/EROFS), kInternal (other, e.g. EXDEV).
//
// Thread-safety: PosixFileSystem is thread-safe. A ReadableFile or
// WritableFile must be used by one thread at a time.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::store {

// What lstat(2) says about a path.
// statvfs(2) of the filesystem holding a path.
struct DiskSpace {
  uint64_t available = 0;  // bytes an unprivileged writer may still use (f_bavail)
  uint64_t total = 0;      // the filesystem's size in bytes
};

struct FileStat {
  uint64_t device = 0;
  uint64_t inode = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint32_t mode = 0;  // permission bits only (07777)
  uint64_t link_count = 0;
  bool is_regular = false;
  bool is_dir = false;
  bool is_symlink = false;
};

struct DirEntry {
  std::string name;  // never "." or ".."
};

class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to `n` bytes; returns 0 at end of file.
  virtual StatusOr<size_t> Read(void* buf, size_t n) = 0;
  // fsync(2) on the open descriptor (used before hardlinking a file whose
  // writer may not have synced it).
  virtual Status Sync() = 0;
};

class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all `n` bytes or fails.
  virtual Status Append(const void* data, size_t n) = 0;
  // fsync(2): data and metadata are durable when this returns OK.
  virtual Status Sync() = 0;
  // Closes the descriptor; further calls fail. The destructor closes too.
  virtual Status Close() = 0;
};

// A freshly created, exclusively owned temp file.
struct TempFile {
  std::string path;
  std::unique_ptr<WritableFile> file;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual StatusOr<std::unique_ptr<ReadableFile>> OpenForRead(const std::string& path) = 0;
  // Creates a new file named `dir/<prefix><unique suffix>` with mode 0644,
  // failing rather than reusing an existing name.
  virtual StatusOr<TempFile> CreateTempFile(const std::string& dir, const std::string& prefix) = 0;
  // Creates a new directory `dir/<prefix><unique suffix>`; returns its path.
  virtual StatusOr<std::string> CreateTempDir(const std::string& dir, const std::string& prefix) = 0;
  // fsync(2) on a directory, making renames/links/unlinks in it durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // rename(2): atomically replaces `to` if it exists (a file over a file).
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  // link(2): kAlreadyExists if `to` exists.
  virtual Status Link(const std::string& from, const std::string& to) = 0;
  virtual Status Unlink(const std::string& path) = 0;
  // mkdir(2) with mode 0755: kAlreadyExists if the path exists.
  virtual Status MakeDir(const std::string& path) = 0;
  virtual Status RemoveDir(const std::string& path) = 0;
  virtual Status Chmod(const std::string& path, uint32_t mode) = 0;
  // Sets the modification time (ns since the epoch) of `path`, not following
  // a symlink; the access time is left as it is.
  virtual Status SetMtime(const std::string& path, int64_t mtime_ns) = 0;
  // Creates `to` (which must not exist; mode 0644) as a copy-on-write clone
  // of the regular file `from` (ioctl FICLONE: btrfs, XFS with reflink,
  // bcachefs), O(1) in its size. false, with no `to` left, where the
  // filesystem cannot clone or the two are on different filesystems.
  virtual StatusOr<bool> CloneFile(const std::string& from, const std::string& to) = 0;
  // lstat(2).
  virtual StatusOr<FileStat> Stat(const std::string& path) = 0;
  // statvfs(2): the space of the filesystem holding `path`.
  virtual StatusOr<DiskSpace> Space(const std::string& path) = 0;
  // Entries of a directory, sorted by name (byte order).
  virtual StatusOr<std::vector<DirEntry>> ReadDir(const std::string& path) = 0;

  // Helpers built on the calls above (not virtual, so faults apply to them).
  // mkdir -p; OK if the directory already exists.
  Status MakeDirs(const std::string& path);
  // True if lstat succeeds.
  bool Exists(const std::string& path);
  // Reads a whole (small) file.
  StatusOr<std::string> ReadFileToString(const std::string& path);
  // Writes `data` to `path` crash-safely: temp file in the same directory,
  // fsync, rename, fsync(dir). Readers see the old or the new content, never
  // a mix.
  Status WriteFileAtomically(const std::string& path, const std::string& data);
  // rm -rf, making read-only directories writable first. OK if missing.
  Status RemoveAll(const std::string& path);
  // The bytes of the regular files at or under `path` (symlinks not followed).
  StatusOr<uint64_t> TreeSize(const std::string& path);
};

// The real thing, on POSIX calls. Never null; lives for the process.
FileSystem& PosixFileSystem();

// Directory part of a path ("a/b/c" -> "a/b", "c" -> ".").
std::string DirName(const std::string& path);
// Last component ("a/b/c" -> "c").
std::string BaseName(const std::string& path);
// Joins with exactly one '/'.
std::string JoinPath(const std::string& a, const std::string& b);

}  // namespace mlpipe::store
