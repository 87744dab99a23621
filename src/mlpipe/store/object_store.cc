#include "mlpipe/store/object_store.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/store/space_reserve.h"

namespace mlpipe::store {
namespace {

constexpr size_t kBufferSize = 1 << 20;
constexpr uint32_t kBlobMode = 0444;

std::string HostTag() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "host";
  std::string h = buf;
  for (char& c : h) {
    if (c == '.' || c == '/') c = '-';
  }
  return h.empty() ? "host" : h;
}

bool DefaultProcessAlive(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

ObjectStore::ObjectStore(Workspace ws, ObjectStoreOptions options)
    : ws_(std::move(ws)),
      options_(std::move(options)),
      fs_(options_.fs ? *options_.fs : PosixFileSystem()),
      clock_(options_.clock ? *options_.clock : RealClock()) {
  if (!options_.process_alive) options_.process_alive = DefaultProcessAlive;
}

StatusOr<std::unique_ptr<ObjectStore>> ObjectStore::Open(const Workspace& ws, ObjectStoreOptions options) {
  std::unique_ptr<ObjectStore> store(new ObjectStore(ws, std::move(options)));
  for (const std::string& d : {ws.ObjectsDir(), ws.ManifestsDir(), ws.TreesDir(), ws.TmpDir()}) {
    RETURN_IF_ERROR(store->fs_.MakeDirs(d));
  }
  if (store->options_.clean_temp_on_open) RETURN_IF_ERROR(store->CleanTemp());
  return store;
}

std::string ObjectStore::TempPrefix(std::string_view kind) const {
  return fmt::format("{}.{}.{}.", kind, HostTag(), ::getpid());
}

Status ObjectStore::CleanTemp() {
  ASSIGN_OR_RETURN(auto entries, fs_.ReadDir(ws_.TmpDir()));
  const std::string host = HostTag();
  for (const auto& e : entries) {
    std::vector<std::string> parts = Split(e.name, '.');
    if (parts.size() >= 3 && parts[1] != host) continue;  // another host's writer: not ours to judge
    if (parts.size() >= 3) {
      char* end = nullptr;
      long long pid = std::strtoll(parts[2].c_str(), &end, 10);
      if (end != nullptr && *end == '\0' && options_.process_alive(pid)) continue;
    }
    Status s = fs_.RemoveAll(JoinPath(ws_.TmpDir(), e.name));
    if (!s.ok() && s.code() != StatusCode::kNotFound) return s.WithContext("cleaning temp files");
  }
  return OkStatus();
}

StatusOr<StoredObject> ObjectStore::Put(const std::string& path, PutMode mode) {
  PutOptions options;
  options.mode = mode;
  return Put(path, options);
}

StatusOr<StoredObject> ObjectStore::Put(const std::string& path, const PutOptions& options) {
  ASSIGN_OR_RETURN(FileStat st, fs_.Stat(path));
  if (!st.is_dir && !st.is_regular)
    return InvalidArgumentError(path + ": only regular files and folders can be stored");
  StatusOr<StoredObject> stored = st.is_dir ? PutFolder(path, options) : PutFile(path, st, options);
  if (stored.ok()) {
    // Shared before it is named: metadata naming it commits after this returns.
    RETURN_IF_ERROR(PushToRemote(stored->ref));
    return stored;
  }
  if (stored.status().code() != StatusCode::kResourceExhausted) return stored;
  // A full disk: say how full, and what storing this needed.
  std::optional<uint64_t> needed;
  if (auto size = fs_.TreeSize(path); size.ok()) needed = *size;
  const std::string detail = DiskFullDetail(fs_, ws_.ObjectsDir(), needed);
  if (detail.empty()) return stored;
  return ResourceExhaustedError(fmt::format("storing {}: {}; {}", path, stored.status().message(), detail));
}

Status ObjectStore::EnsureParent(const std::string& final_path) {
  std::string dir = DirName(final_path);
  if (fs_.Exists(dir)) return OkStatus();
  RETURN_IF_ERROR(fs_.MakeDirs(dir));
  return fs_.SyncDir(DirName(dir));
}

StatusOr<StoredObject> ObjectStore::PutFile(const std::string& path, const FileStat& st,
                                            const PutOptions& options) {
  std::optional<std::string> known;
  if (options.known_digest) known = options.known_digest(path, st);
  if (known && !IsValidRef(*known)) known.reset();
  // A known digest whose object is stored and intact costs no read at all;
  // nor does a hardlinked source that is its object (one inode), unchanged
  // since it was hashed.
  if (known) {
    auto blob = fs_.Stat(ws_.BlobPath(known->substr(kRefPrefix.size())));
    if (blob.ok() && blob->device == st.device && blob->inode == st.inode && !options.rehash_existing) {
      return StoredObject{*known, st.size, false, 1, 0};
    }
  }
  if (known && CheckBlob(known->substr(kRefPrefix.size()), st.size, options.rehash_existing).ok()) {
    return StoredObject{*known, st.size, false, 1, 0};
  }
  if (options.mode == PutMode::kReflink) {
    ASSIGN_OR_RETURN(auto cloned, CloneIn(path, st, known, options));
    if (cloned) return *cloned;
    // No reflinks on this filesystem: copy.
  }
  if (options.mode == PutMode::kCopy || options.mode == PutMode::kReflink) return CopyIn(path, st, options);
  // Link or move: hash first, so content already stored costs one read and
  // no write.
  std::string ref;
  if (known) {
    ref = *known;
  } else {
    ASSIGN_OR_RETURN(ref, HashFile(fs_, path));
    if (options.on_hashed) options.on_hashed(path, st, ref);
  }
  std::string hex = ref.substr(kRefPrefix.size());
  StoredObject obj{ref, st.size, false, 1, 0};
  if (!known && CheckBlob(hex, st.size, options.rehash_existing).ok()) return obj;
  Status s = LinkOrMoveIn(path, hex, st.mode, options.mode);
  if (s.ok()) {
    obj.new_objects = 1;
    return obj;
  }
  if (s.code() == StatusCode::kResourceExhausted) return s;
  // Different filesystem, link limit, ...: copy instead.
  ASSIGN_OR_RETURN(StoredObject copied, CopyIn(path, st, options));
  if (copied.ref != ref) return FailedPreconditionError(path + " changed while it was being stored");
  return copied;
}

Status ObjectStore::LinkOrMoveIn(const std::string& src, const std::string& hex, uint32_t mode,
                                 PutMode put_mode) {
  std::string final_path = ws_.BlobPath(hex);
  RETURN_IF_ERROR(EnsureParent(final_path));
  {
    // The writer may not have synced: make the bytes durable before naming them.
    ASSIGN_OR_RETURN(auto f, fs_.OpenForRead(src));
    RETURN_IF_ERROR(f->Sync());
  }
  RETURN_IF_ERROR(fs_.Chmod(src, kBlobMode));
  // A moved file becomes the store's own: stamped. A hardlinked one stays the
  // caller's file too, and keeps its mtime.
  if (put_mode == PutMode::kMove) RETURN_IF_ERROR(fs_.SetMtime(src, kObjectStampNs));
  Status s;
  if (put_mode == PutMode::kMove) {
    // rename replaces a damaged object CheckBlob just quarantined, or one a
    // concurrent Put of the same content wrote: both are fine.
    s = fs_.Rename(src, final_path);
    if (!s.ok()) s = fs_.Link(src, final_path);
  } else {
    s = fs_.Link(src, final_path);
  }
  if (s.code() == StatusCode::kAlreadyExists) s = OkStatus();  // a concurrent Put won: same content
  if (!s.ok()) {
    (void)fs_.Chmod(src, mode);  // give the caller its file back as it was
    return s;
  }
  return fs_.SyncDir(DirName(final_path));
}

Status ObjectStore::PublishTemp(const std::string& tmp_path, const std::string& hex) {
  std::string final_path = ws_.BlobPath(hex);
  Status s = fs_.Chmod(tmp_path, kBlobMode);
  if (s.ok()) s = fs_.SetMtime(tmp_path, kObjectStampNs);
  if (s.ok()) s = EnsureParent(final_path);
  // Over whatever is there: nothing (the usual case), a damaged copy that
  // CheckBlob could not move away, or a concurrent writer's identical copy.
  if (s.ok()) s = fs_.Rename(tmp_path, final_path);
  if (!s.ok()) {
    (void)fs_.Unlink(tmp_path);
    return s;
  }
  return fs_.SyncDir(DirName(final_path));
}

StatusOr<StoredObject> ObjectStore::CopyIn(const std::string& src, const FileStat& st,
                                           const PutOptions& options) {
  ASSIGN_OR_RETURN(auto in, fs_.OpenForRead(src));
  ASSIGN_OR_RETURN(TempFile tmp, fs_.CreateTempFile(ws_.TmpDir(), TempPrefix("blob")));
  auto fail = [&](const Status& s) -> Status {
    (void)tmp.file->Close();
    (void)fs_.Unlink(tmp.path);
    return s;
  };
  Sha256 h;
  auto buf_owner = std::make_unique_for_overwrite<char[]>(kBufferSize);
  char* buf = buf_owner.get();
  uint64_t total = 0;
  while (true) {
    auto n = in->Read(buf, kBufferSize);
    if (!n.ok()) return fail(n.status());
    if (*n == 0) break;
    h.Update(buf, *n);
    Status s = tmp.file->Append(buf, *n);
    if (!s.ok()) return fail(s);
    total += *n;
  }
  std::string ref = DigestRef(h.Finish());
  if (total != st.size) return fail(FailedPreconditionError(src + " changed while it was being stored"));
  if (options.on_hashed) options.on_hashed(src, st, ref);
  std::string hex = ref.substr(kRefPrefix.size());
  StoredObject obj{ref, total, false, 1, 0};
  if (CheckBlob(hex, total, options.rehash_existing).ok()) {
    (void)fail(OkStatus());
    return obj;
  }
  Status s = tmp.file->Sync();
  if (s.ok()) s = tmp.file->Close();
  if (!s.ok()) return fail(s);
  RETURN_IF_ERROR(PublishTemp(tmp.path, hex));
  obj.new_objects = 1;
  return obj;
}

StatusOr<std::optional<StoredObject>> ObjectStore::CloneIn(const std::string& src, const FileStat& st,
                                                           const std::optional<std::string>& known,
                                                           const PutOptions& options) {
  ASSIGN_OR_RETURN(std::string dir, fs_.CreateTempDir(ws_.TmpDir(), TempPrefix("clone")));
  const std::string tmp = JoinPath(dir, "blob");
  auto cleanup = [&] {
    (void)fs_.Unlink(tmp);
    (void)fs_.RemoveDir(dir);
  };
  auto cloned = fs_.CloneFile(src, tmp);
  if (!cloned.ok() || !*cloned) {
    cleanup();
    if (!cloned.ok()) return cloned.status();
    return std::optional<StoredObject>();
  }
  // The source is hashed, not the clone: its pages are likely cached (it was
  // just written, or read by the last run), the clone's never are (XFS: a
  // 1 GiB source stored in 1.35x the time of hashing it alone, against 1.0x).
  // A source written to since `st` was taken (before the clone) shows in its
  // stat after the hash, as the hash cache also trusts.
  std::string ref;
  if (known) {
    ref = *known;
  } else {
    auto hashed = HashFile(fs_, src);
    auto after = fs_.Stat(src);
    if (!hashed.ok() || !after.ok()) {
      cleanup();
      return hashed.ok() ? after.status() : hashed.status();
    }
    if (after->size != st.size || after->mtime_ns != st.mtime_ns || after->inode != st.inode) {
      cleanup();
      return FailedPreconditionError(src + " changed while it was being stored");
    }
    ref = *hashed;
    if (options.on_hashed) options.on_hashed(src, st, ref);
  }
  auto clone_st = fs_.Stat(tmp);
  if (!clone_st.ok() || clone_st->size != st.size) {
    cleanup();
    return FailedPreconditionError(src + " changed while it was being stored");
  }
  std::string hex = ref.substr(kRefPrefix.size());
  StoredObject obj{ref, st.size, false, 1, 0};
  if (CheckBlob(hex, st.size, options.rehash_existing).ok()) {
    cleanup();
    return std::optional<StoredObject>(obj);
  }
  // A clone shares the source's data blocks, which are already durable or
  // will be with the source's; its own metadata is made durable here.
  Status s;
  {
    auto f = fs_.OpenForRead(tmp);
    s = f.ok() ? (*f)->Sync() : f.status();
  }
  if (s.ok()) s = PublishTemp(tmp, hex);
  cleanup();
  RETURN_IF_ERROR(s);
  obj.new_objects = 1;
  return std::optional<StoredObject>(obj);
}

StatusOr<StoredObject> ObjectStore::PutFolder(const std::string& path, const PutOptions& options) {
  ASSIGN_OR_RETURN(auto walk, WalkFolder(fs_, path));
  Manifest m;
  uint64_t new_objects = 0;
  for (const auto& w : walk) {
    ManifestEntry e;
    e.path = w.rel_path;
    if (w.stat.is_dir) {
      e.is_dir = true;
    } else {
      ASSIGN_OR_RETURN(StoredObject blob, PutFile(JoinPath(path, w.rel_path), w.stat, options));
      e.size = blob.size;
      e.digest = blob.ref;
      e.executable = (w.stat.mode & 0100) != 0;
      new_objects += blob.new_objects;
    }
    m.entries.push_back(std::move(e));
  }
  ASSIGN_OR_RETURN(std::string text, SerializeManifest(m));
  std::string hex = Sha256Hex(text);
  bool created = false;
  RETURN_IF_ERROR(WriteManifest(text, hex, &created));
  if (created) ++new_objects;
  return StoredObject{std::string(kRefPrefix) + hex, m.TotalSize(), true, m.FileCount(), new_objects};
}

StatusOr<StoredObject> ObjectStore::PutManifest(const std::string& text) {
  ASSIGN_OR_RETURN(Manifest m, ParseManifest(text));
  ASSIGN_OR_RETURN(std::string canonical, SerializeManifest(m));
  if (canonical != text) return DataLossError("a folder manifest is not in canonical form");
  for (const auto& e : m.entries) {
    if (e.is_dir) continue;
    CheckResult blob = CheckBlob(e.digest.substr(kRefPrefix.size()), e.size, false);
    if (!blob.ok()) {
      return NotFoundError(fmt::format("folder file {}: {}", e.path, blob.detail));
    }
  }
  const std::string hex = Sha256Hex(text);
  bool created = false;
  RETURN_IF_ERROR(WriteManifest(text, hex, &created));
  return StoredObject{std::string(kRefPrefix) + hex, m.TotalSize(), true, m.FileCount(), created ? 1u : 0u};
}

Status ObjectStore::WriteManifest(const std::string& text, const std::string& hex, bool* created) {
  std::string final_path = ws_.ManifestPath(hex);
  *created = false;
  if (auto st = fs_.Stat(final_path); st.ok()) {
    if (st->mtime_ns == kObjectStampNs && st->size == text.size()) return OkStatus();
    auto old = fs_.ReadFileToString(final_path);
    if (old.ok() && *old == text) return OkStatus();
    RETURN_IF_ERROR(Quarantine(std::string(kRefPrefix) + hex, "its manifest changed on disk"));
  }
  ASSIGN_OR_RETURN(TempFile tmp, fs_.CreateTempFile(ws_.TmpDir(), TempPrefix("manifest")));
  Status s = tmp.file->Append(text.data(), text.size());
  if (s.ok()) s = tmp.file->Sync();
  if (s.ok()) s = tmp.file->Close();
  if (s.ok()) s = fs_.Chmod(tmp.path, kBlobMode);
  if (s.ok()) s = fs_.SetMtime(tmp.path, kObjectStampNs);
  if (s.ok()) s = EnsureParent(final_path);
  if (s.ok()) s = fs_.Rename(tmp.path, final_path);
  if (!s.ok()) {
    (void)tmp.file->Close();
    (void)fs_.Unlink(tmp.path);
    return s;
  }
  *created = true;
  return fs_.SyncDir(DirName(final_path));
}

}  // namespace mlpipe::store
