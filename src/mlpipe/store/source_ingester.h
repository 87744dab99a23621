// SourceIngester: the sources of a pipeline (files and folders its steps read
// from the project) hashed for cache keys and, unless told otherwise, stored
// in the object store in the same pass, so that every version a run read can
// be restored later (`mlpipe checkout`, `artifacts cat NAME.source.PATH:vN`).
//
// Cost: a source whose stat (device, inode, size, mtime) is unchanged since
// it was hashed and whose object is stored and intact costs a few stats and
// no read. A changed source is read once: hashed while it is copied, or
// hashed before it is hardlinked, or cloned (a reflink, O(1)) and the clone
// hashed. See docs/pipeline-spec.md#sources.
//
// Thread-safety: Ingest may be called from several threads (HashCache and
// ObjectStore are thread-safe); the warn callback is called under a lock.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/store/hash_cache.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::store {

struct SourceIngestOptions {
  // Where stats go. Default (null): PosixFileSystem(). Not owned.
  FileSystem* fs = nullptr;
  // false: sources are only hashed (for cache keys), never stored. Default true.
  bool store = true;
  // How a source reaches the store: kReflink (a clone where the filesystem
  // can, else a copy: the default), kLink (a hardlink: the source file
  // becomes read-only and shares its inode with the store), kCopy.
  PutMode mode = PutMode::kReflink;
  // A source larger than this (a folder: all its files) is hashed, not
  // stored. Default 10 GiB.
  uint64_t max_size = uint64_t{10} << 30;
  // Told, once per source path, why a source is not stored, or that a
  // hardlinked source was written in place (losing its earlier version).
  std::function<void(const std::string& message)> warn;
};

struct IngestedSource {
  SourceDigest digest;
  // The content is in the object store (intact) under digest.ref.
  bool stored = false;
  // When not stored, why: "sources: {store: false}", "larger than max_size (10.0 GiB)".
  std::string not_stored_reason;
};

class SourceIngester {
 public:
  // `hashes` and `objects` must outlive the ingester.
  SourceIngester(HashCache& hashes, ObjectStore& objects, SourceIngestOptions options);

  // Hashes (and stores) the file or folder at `path` (a symlink at `path`
  // is followed). NotFound if it does not exist; InvalidArgument for a
  // special file or a symlink inside a folder; FailedPrecondition if it
  // changed while it was being stored.
  StatusOr<IngestedSource> Ingest(const std::string& path);

  const SourceIngestOptions& options() const { return options_; }

 private:
  void Warn(const std::string& key, const std::string& message);
  // A hardlinked source written in place also changed its stored object (the
  // same inode): quarantine the old version's object and say so.
  void CatchWrittenInPlace(const std::string& abs, const FileStat& st);

  HashCache& hashes_;
  ObjectStore& objects_;
  SourceIngestOptions options_;
  FileSystem& fs_;
  std::mutex mu_;
  std::set<std::string> warned_;  // guarded by mu_
};

}  // namespace mlpipe::store
