#include "mlpipe/store/object_store.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"

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
    : ws_(std::move(ws)), options_(std::move(options)), fs_(options_.fs ? *options_.fs : PosixFileSystem()) {
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
  ASSIGN_OR_RETURN(FileStat st, fs_.Stat(path));
  if (st.is_dir) return PutFolder(path, mode);
  if (!st.is_regular) return InvalidArgumentError(path + ": only regular files and folders can be stored");
  return PutFile(path, st, mode);
}

Status ObjectStore::EnsureParent(const std::string& final_path) {
  std::string dir = DirName(final_path);
  if (fs_.Exists(dir)) return OkStatus();
  RETURN_IF_ERROR(fs_.MakeDirs(dir));
  return fs_.SyncDir(DirName(dir));
}

StatusOr<StoredObject> ObjectStore::PutFile(const std::string& path, const FileStat& st, PutMode mode) {
  // Hash first: content already stored costs one read and no write.
  ASSIGN_OR_RETURN(std::string ref, HashFile(fs_, path));
  std::string hex = ref.substr(kRefPrefix.size());
  StoredObject obj{ref, st.size, false, 1, 0};
  if (fs_.Exists(ws_.BlobPath(hex))) return obj;
  if (mode != PutMode::kCopy) {
    Status s = LinkOrMoveIn(path, hex, st.mode, mode);
    if (s.ok()) {
      obj.new_objects = 1;
      return obj;
    }
    if (s.code() == StatusCode::kResourceExhausted) return s;
    // Different filesystem, link limit, ...: copy instead.
  }
  ASSIGN_OR_RETURN(StoredObject copied, CopyIn(path, st.size));
  if (copied.ref != ref) return FailedPreconditionError(path + " changed while it was being stored");
  return copied;
}

Status ObjectStore::LinkOrMoveIn(const std::string& src, const std::string& hex, uint32_t mode, PutMode put_mode) {
  std::string final_path = ws_.BlobPath(hex);
  RETURN_IF_ERROR(EnsureParent(final_path));
  {
    // The writer may not have synced: make the bytes durable before naming them.
    ASSIGN_OR_RETURN(auto f, fs_.OpenForRead(src));
    RETURN_IF_ERROR(f->Sync());
  }
  RETURN_IF_ERROR(fs_.Chmod(src, kBlobMode));
  Status s;
  if (put_mode == PutMode::kMove) {
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

StatusOr<StoredObject> ObjectStore::CopyIn(const std::string& src, uint64_t size) {
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
    auto n = in->Read(buf, size_t{1} << 20);
    if (!n.ok()) return fail(n.status());
    if (*n == 0) break;
    h.Update(buf, *n);
    Status s = tmp.file->Append(buf, *n);
    if (!s.ok()) return fail(s);
    total += *n;
  }
  std::string ref = DigestRef(h.Finish());
  std::string hex = ref.substr(kRefPrefix.size());
  std::string final_path = ws_.BlobPath(hex);
  StoredObject obj{ref, total, false, 1, 0};
  (void)size;
  if (fs_.Exists(final_path)) {
    (void)fail(OkStatus());
    return obj;
  }
  Status s = tmp.file->Sync();
  if (s.ok()) s = tmp.file->Close();
  if (s.ok()) s = fs_.Chmod(tmp.path, kBlobMode);
  if (s.ok()) s = EnsureParent(final_path);
  if (s.ok()) s = fs_.Rename(tmp.path, final_path);
  if (!s.ok()) return fail(s);
  RETURN_IF_ERROR(fs_.SyncDir(DirName(final_path)));
  obj.new_objects = 1;
  return obj;
}

StatusOr<StoredObject> ObjectStore::PutFolder(const std::string& path, PutMode mode) {
  ASSIGN_OR_RETURN(auto walk, WalkFolder(fs_, path));
  Manifest m;
  uint64_t new_objects = 0;
  for (const auto& w : walk) {
    ManifestEntry e;
    e.path = w.rel_path;
    if (w.stat.is_dir) {
      e.is_dir = true;
    } else {
      ASSIGN_OR_RETURN(StoredObject blob, PutFile(JoinPath(path, w.rel_path), w.stat, mode));
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

Status ObjectStore::WriteManifest(const std::string& text, const std::string& hex, bool* created) {
  std::string final_path = ws_.ManifestPath(hex);
  *created = false;
  if (fs_.Exists(final_path)) return OkStatus();
  ASSIGN_OR_RETURN(TempFile tmp, fs_.CreateTempFile(ws_.TmpDir(), TempPrefix("manifest")));
  Status s = tmp.file->Append(text.data(), text.size());
  if (s.ok()) s = tmp.file->Sync();
  if (s.ok()) s = tmp.file->Close();
  if (s.ok()) s = fs_.Chmod(tmp.path, kBlobMode);
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
