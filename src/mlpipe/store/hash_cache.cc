#include "mlpipe/store/hash_cache.h"

#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/store/manifest.h"

namespace mlpipe::store {
namespace {

constexpr std::string_view kHeader = "mlpipe-hash-cache v1";

StatusOr<std::string> AbsolutePath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) return InternalError("absolute path of " + path + ": " + ec.message());
  return abs.lexically_normal().string();
}

}  // namespace

HashCache::HashCache(std::string path, HashCacheOptions options)
    : path_(std::move(path)),
      options_(options),
      fs_(options.fs ? *options.fs : PosixFileSystem()),
      clock_(options.clock ? *options.clock : RealClock()) {}

StatusOr<std::unique_ptr<HashCache>> HashCache::Open(const std::string& path, HashCacheOptions options) {
  std::unique_ptr<HashCache> cache(new HashCache(path, options));
  if (path.empty()) return cache;
  auto text = cache->fs_.ReadFileToString(path);
  if (text.ok()) {
    cache->Parse(*text);
  } else if (text.status().code() != StatusCode::kNotFound) {
    return text.status().WithContext("reading hash cache");
  }
  return cache;
}

void HashCache::Parse(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) return;  // unknown format: start empty
  while (std::getline(in, line)) {
    // dev \t inode \t size \t mtime_ns \t ref \t path
    std::vector<std::string> f = Split(line, '\t');
    if (f.size() != 6) continue;
    try {
      Entry e{std::stoull(f[0]), std::stoull(f[1]), std::stoull(f[2]), std::stoll(f[3]), f[4]};
      entries_[f[5]] = std::move(e);
    } catch (const std::exception&) {
      continue;  // a damaged line only costs a re-hash
    }
  }
}

Status HashCache::Flush() {
  std::string text;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!dirty_ || path_.empty()) return OkStatus();
    text.reserve(entries_.size() * 150);
    text.append(kHeader).append("\n");
    for (const auto& [p, e] : entries_) {
      fmt::format_to(std::back_inserter(text), "{}\t{}\t{}\t{}\t{}\t{}\n", e.device, e.inode, e.size,
                     e.mtime_ns, e.ref, p);
    }
    dirty_ = false;
  }
  Status s = fs_.WriteFileAtomically(path_, text);
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    dirty_ = true;
  }
  return s;
}

size_t HashCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

std::optional<HashCache::CachedFile> HashCache::Cached(const std::string& abs) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(abs);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> HashCache::Lookup(const std::string& abs, const FileStat& st) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(abs);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = it->second;
  if (e.device == st.device && e.inode == st.inode && e.size == st.size && e.mtime_ns == st.mtime_ns)
    return e.ref;
  return std::nullopt;
}

void HashCache::Record(const std::string& abs, const FileStat& st, const std::string& ref,
                       int64_t read_started_ns) {
  bool can_cache = abs.find_first_of("\t\n") == std::string::npos;
  bool trusted = st.mtime_ns + options_.racy_window_ns <= read_started_ns;
  std::lock_guard<std::mutex> lock(mu_);
  if (can_cache && trusted) {
    entries_[abs] = Entry{st.device, st.inode, st.size, st.mtime_ns, ref};
    dirty_ = true;
  } else if (entries_.erase(abs) > 0) {
    dirty_ = true;
  }
}

StatusOr<std::string> HashCache::FileDigest(const std::string& abs, const FileStat& st, bool* rehashed) {
  if (auto ref = Lookup(abs, st)) {
    *rehashed = false;
    return *ref;
  }
  const int64_t now = clock_.WallNanos();
  ASSIGN_OR_RETURN(std::string ref, HashFile(fs_, abs));
  *rehashed = true;
  Record(abs, st, ref, now);
  return ref;
}

StatusOr<SourceDigest> HashCache::HashSource(const std::string& path) {
  ASSIGN_OR_RETURN(std::string abs, AbsolutePath(path));
  ASSIGN_OR_RETURN(FileStat st, fs_.Stat(abs));
  if (st.is_symlink) {
    std::error_code ec;
    auto target = std::filesystem::canonical(abs, ec);
    if (ec) return NotFoundError("source " + path + " is a dangling symlink: " + ec.message());
    abs = target.string();
    ASSIGN_OR_RETURN(st, fs_.Stat(abs));
  }
  SourceDigest out;
  if (st.is_regular) {
    bool rehashed = false;
    ASSIGN_OR_RETURN(out.ref, FileDigest(abs, st, &rehashed));
    out.size = st.size;
    out.file_count = 1;
    out.rehashed = rehashed;
    out.files_rehashed = rehashed ? 1 : 0;
    return out;
  }
  if (!st.is_dir) return InvalidArgumentError("source " + path + " is neither a file nor a folder");
  ASSIGN_OR_RETURN(auto walk, WalkFolder(fs_, abs));
  Manifest m;
  for (const auto& w : walk) {
    ManifestEntry e;
    e.path = w.rel_path;
    if (w.stat.is_dir) {
      e.is_dir = true;
    } else {
      bool rehashed = false;
      ASSIGN_OR_RETURN(e.digest, FileDigest(JoinPath(abs, w.rel_path), w.stat, &rehashed));
      e.size = w.stat.size;
      e.executable = (w.stat.mode & 0100) != 0;
      if (rehashed) ++out.files_rehashed;
    }
    m.entries.push_back(std::move(e));
  }
  ASSIGN_OR_RETURN(std::string text, SerializeManifest(m));
  out.ref = "sha256:" + Sha256Hex(text);
  out.size = m.TotalSize();
  out.is_dir = true;
  out.file_count = m.FileCount();
  out.rehashed = out.files_rehashed > 0;
  return out;
}

}  // namespace mlpipe::store
