// HashCache: digests of source files and folders, re-hashed only when a file's
// (device, inode, size, mtime_ns) changed. A folder's digest is the digest of
// its canonical manifest (manifest.h), the same scheme the object store uses,
// so a source folder and an identical output folder have the same ref.
//
// Racy-clean protection (as git does): a file whose mtime is within
// `racy_window_ns` of the time it was hashed could still change without its
// mtime moving, so such an entry is not trusted and the file is hashed again
// next time.
//
// The cache lives in memory as a hash map, read once at Open and written by
// Flush (temp + fsync + rename; a lost or damaged cache file only costs
// re-hashing). Thread-safe: HashSource may be called from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/store/file_system.h"

namespace mlpipe::store {

struct SourceDigest {
  std::string ref;    // "sha256:<hex>" (a folder: of its manifest)
  uint64_t size = 0;  // total bytes
  bool is_dir = false;
  uint64_t file_count = 0;  // 1 for a file
  bool rehashed = false;    // true if any file's content was read this call
  uint64_t files_rehashed = 0;
};

struct HashCacheOptions {
  // Default (null): PosixFileSystem(). Not owned.
  FileSystem* fs = nullptr;
  // Default (null): RealClock(). Not owned. Only WallNanos is used.
  Clock* clock = nullptr;
  // Entries for files modified less than this long before hashing are not
  // trusted. Default 2 s.
  int64_t racy_window_ns = 2'000'000'000;
};

class HashCache {
 public:
  // Loads the cache file at `path` if it exists (a missing or unreadable file
  // gives an empty cache). Fails only on I/O errors other than NotFound.
  // `path` "": a cache in memory only (nothing read, Flush writes nothing).
  static StatusOr<std::unique_ptr<HashCache>> Open(const std::string& path, HashCacheOptions options = {});

  // Digest of a source file or folder (a symlink at `path` itself is
  // followed; symlinks inside a folder are rejected with InvalidArgument).
  // NotFound if `path` does not exist.
  StatusOr<SourceDigest> HashSource(const std::string& path);

  // What the cache says of the file at absolute path `abs`, whatever its stat
  // now; nullopt if nothing.
  struct CachedFile {
    uint64_t device = 0;
    uint64_t inode = 0;
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::string ref;
  };
  std::optional<CachedFile> Cached(const std::string& abs) const;
  // The cached digest of the regular file at absolute path `abs` if its
  // entry matches `st` (device, inode, size, mtime), else nullopt.
  std::optional<std::string> Lookup(const std::string& abs, const FileStat& st) const;
  // Notes that the file at absolute path `abs`, with stat `st` before it was
  // read, hashed to `ref` (the object store hashed it while storing it);
  // `read_started_ns` is when the read began (wall clock). Racy entries (see
  // above) are not kept.
  void Record(const std::string& abs, const FileStat& st, const std::string& ref, int64_t read_started_ns);
  // The clock's wall time, for Record's read_started_ns.
  int64_t Now() const { return clock_.WallNanos(); }

  // Writes the cache if anything changed since the last Flush.
  Status Flush();

  // Number of cached file entries.
  size_t size() const;

 private:
  using Entry = CachedFile;

  HashCache(std::string path, HashCacheOptions options);
  // Digest of one regular file at absolute path `abs` with stat `st`.
  StatusOr<std::string> FileDigest(const std::string& abs, const FileStat& st, bool* rehashed);
  void Parse(const std::string& text);

  const std::string path_;
  HashCacheOptions options_;
  FileSystem& fs_;
  Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_; key: absolute path
  bool dirty_ = false;                              // guarded by mu_
};

}  // namespace mlpipe::store
