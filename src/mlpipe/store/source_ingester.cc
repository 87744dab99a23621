#include "mlpipe/store/source_ingester.h"

#include <fmt/format.h>

#include <filesystem>

#include "mlpipe/base/strings.h"
#include "mlpipe/store/manifest.h"

namespace mlpipe::store {
SourceIngester::SourceIngester(HashCache& hashes, ObjectStore& objects, SourceIngestOptions options)
    : hashes_(hashes),
      objects_(objects),
      options_(std::move(options)),
      fs_(options_.fs ? *options_.fs : PosixFileSystem()) {}

void SourceIngester::Warn(const std::string& key, const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!warned_.insert(key).second || !options_.warn) return;
  options_.warn(message);
}

void SourceIngester::CatchWrittenInPlace(const std::string& abs, const FileStat& st) {
  auto old = hashes_.Cached(abs);
  if (!old || old->device != st.device || old->inode != st.inode) return;
  if (old->size == st.size && old->mtime_ns == st.mtime_ns) return;  // unchanged
  auto hex = RefToHex(old->ref);
  if (!hex.ok()) return;
  auto blob = fs_.Stat(objects_.workspace().BlobPath(*hex));
  if (!blob.ok() || blob->device != st.device || blob->inode != st.inode) return;
  // The file and its earlier version's object are one inode: that version's
  // content is gone.
  std::string detail = fmt::format("the source {} was written in place while hardlinked to the store", abs);
  (void)objects_.Quarantine(old->ref, detail);
  Warn("in-place:" + abs,
       fmt::format(
           "{} was written in place while hardlinked to the store (sources: {{link: hardlink}}): its "
           "earlier version {} is lost; replace such a file (write a new one and rename it) instead of "
           "writing into it, or use link: copy",
           abs, old->ref));
}

StatusOr<IngestedSource> SourceIngester::Ingest(const std::string& path) {
  std::error_code ec;
  std::string abs = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (ec) return InternalError("absolute path of " + path + ": " + ec.message());
  FileSystem& fs = fs_;
  ASSIGN_OR_RETURN(FileStat st, fs.Stat(abs));
  if (st.is_symlink) {
    auto target = std::filesystem::canonical(abs, ec);
    if (ec) return NotFoundError("source " + path + " is a dangling symlink: " + ec.message());
    abs = target.string();
    ASSIGN_OR_RETURN(st, fs.Stat(abs));
  }
  if (!st.is_regular && !st.is_dir)
    return InvalidArgumentError("source " + path + " is neither a file nor a folder");

  IngestedSource out;
  if (!options_.store) {
    ASSIGN_OR_RETURN(out.digest, hashes_.HashSource(abs));
    out.not_stored_reason = "sources: {store: false}";
    return out;
  }
  uint64_t size = st.size;
  if (st.is_dir) {
    ASSIGN_OR_RETURN(auto walk, WalkFolder(fs, abs));
    size = 0;
    for (const auto& w : walk) size += w.stat.is_dir ? 0 : w.stat.size;
  }
  if (size > options_.max_size) {
    ASSIGN_OR_RETURN(out.digest, hashes_.HashSource(abs));
    out.not_stored_reason =
        fmt::format("larger than max_size ({}) of sources:", FormatBytes(options_.max_size));
    Warn("size:" + abs,
         fmt::format("source {} is not stored: its {} are more than max_size ({}) of sources:, so "
                     "runs that read this version cannot be restored once it changes",
                     path, FormatBytes(size), FormatBytes(options_.max_size)));
    return out;
  }
  if (options_.mode == PutMode::kLink && st.is_regular) CatchWrittenInPlace(abs, st);

  PutOptions put;
  put.mode = options_.mode;
  put.known_digest = [this](const std::string& file, const FileStat& fst) {
    return hashes_.Lookup(file, fst);
  };
  uint64_t hashed = 0;
  const int64_t read_started = hashes_.Now();
  put.on_hashed = [&](const std::string& file, const FileStat& fst, const std::string& ref) {
    ++hashed;
    hashes_.Record(file, fst, ref, read_started);
  };
  ASSIGN_OR_RETURN(StoredObject stored, objects_.Put(abs, put));
  out.stored = true;
  out.digest.ref = stored.ref;
  out.digest.size = stored.size;
  out.digest.is_dir = stored.is_dir;
  out.digest.file_count = stored.file_count;
  out.digest.files_rehashed = hashed;
  out.digest.rehashed = hashed > 0;
  return out;
}

}  // namespace mlpipe::store
