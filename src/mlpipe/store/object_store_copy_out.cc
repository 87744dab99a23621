// ObjectStore: writable copies of objects outside the store (mlpipe
// checkout restores a run's sources with them).
#include <fmt/format.h>

#include <set>

#include "mlpipe/store/object_store.h"

namespace mlpipe::store {

Status ObjectStore::CopyBlobTo(const std::string& blob, const std::string& dest, uint32_t mode) {
  const std::string dir = DirName(dest);
  // A reflink where the filesystem can: O(1), and the copy is still the
  // caller's to write (copy-on-write).
  ASSIGN_OR_RETURN(std::string clone_dir, fs_.CreateTempDir(dir, ".clone."));
  const std::string clone = JoinPath(clone_dir, "f");
  auto cloned = fs_.CloneFile(blob, clone);
  if (cloned.ok() && *cloned) {
    Status s;
    {
      auto f = fs_.OpenForRead(clone);
      s = f.ok() ? (*f)->Sync() : f.status();
    }
    if (s.ok()) s = fs_.Chmod(clone, mode);
    if (s.ok()) s = fs_.Rename(clone, dest);
    if (!s.ok()) (void)fs_.Unlink(clone);
    (void)fs_.RemoveDir(clone_dir);
    return s;
  }
  (void)fs_.RemoveDir(clone_dir);
  ASSIGN_OR_RETURN(auto in, fs_.OpenForRead(blob));
  ASSIGN_OR_RETURN(TempFile tmp, fs_.CreateTempFile(dir, ".copy."));
  auto buf_owner = std::make_unique_for_overwrite<char[]>(1 << 20);
  char* buf = buf_owner.get();
  Status s;
  while (s.ok()) {
    auto n = in->Read(buf, size_t{1} << 20);
    if (!n.ok()) {
      s = n.status();
    } else if (*n == 0) {
      break;
    } else {
      s = tmp.file->Append(buf, *n);
    }
  }
  if (s.ok()) s = tmp.file->Sync();
  if (s.ok()) s = tmp.file->Close();
  if (s.ok()) s = fs_.Chmod(tmp.path, mode);
  if (s.ok()) s = fs_.Rename(tmp.path, dest);
  if (!s.ok()) (void)fs_.Unlink(tmp.path);
  return s;
}

Status ObjectStore::WriteFolderCopy(const Manifest& m, const std::string& dir) {
  std::set<std::string> dirs;
  for (const auto& e : m.entries) {
    const std::string dest = JoinPath(dir, e.path);
    const std::string parent = e.is_dir ? dest : DirName(dest);
    RETURN_IF_ERROR(fs_.MakeDirs(parent));
    for (std::string d = parent; d.size() > dir.size(); d = DirName(d)) dirs.insert(d);
    if (e.is_dir) continue;
    const std::string blob = ws_.BlobPath(e.digest.substr(kRefPrefix.size()));
    if (!fs_.Exists(blob))
      return NotFoundError(fmt::format("file {} ({}) is not in the store", e.path, e.digest));
    RETURN_IF_ERROR(CopyBlobTo(blob, dest, e.executable ? 0755 : 0644));
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) RETURN_IF_ERROR(fs_.SyncDir(*it));
  return fs_.SyncDir(dir);
}

Status ObjectStore::CopyOut(std::string_view ref, const std::string& dest) {
  if (remote_ != nullptr && !ContainsHere(ref)) {
    Status fetched = FetchFromRemote(ref);
    if (!fetched.ok() && fetched.code() != StatusCode::kNotFound) return fetched;
  }
  ASSIGN_OR_RETURN(std::string hex, RefToHex(ref));
  const std::string parent = DirName(dest);
  RETURN_IF_ERROR(fs_.MakeDirs(parent));
  if (!fs_.Exists(ws_.ManifestPath(hex))) {
    const std::string blob = ws_.BlobPath(hex);
    if (!fs_.Exists(blob)) return NotFoundError(fmt::format("{} is not in the store", ref));
    auto old = fs_.Stat(dest);
    if (old.ok() && old->is_dir) return FailedPreconditionError(dest + " is a folder; the object is a file");
    RETURN_IF_ERROR(CopyBlobTo(blob, dest, 0644));
    return fs_.SyncDir(parent);
  }
  ASSIGN_OR_RETURN(Manifest m, ReadManifest(ref));
  ASSIGN_OR_RETURN(std::string fresh, fs_.CreateTempDir(parent, fmt::format(".{}.new.", BaseName(dest))));
  Status s = WriteFolderCopy(m, fresh);
  if (!s.ok()) {
    (void)fs_.RemoveAll(fresh);
    return s;
  }
  // Swap: the old folder is moved aside, the new one named, the old removed.
  std::string aside;
  if (fs_.Exists(dest)) {
    auto made = fs_.CreateTempDir(parent, fmt::format(".{}.old.", BaseName(dest)));
    if (!made.ok()) {
      (void)fs_.RemoveAll(fresh);
      return made.status();
    }
    aside = JoinPath(*made, "old");
    s = fs_.Rename(dest, aside);
    if (!s.ok()) {
      (void)fs_.RemoveAll(fresh);
      (void)fs_.RemoveAll(*made);
      return s;
    }
  }
  s = fs_.Rename(fresh, dest);
  if (!s.ok()) {
    if (!aside.empty()) (void)fs_.Rename(aside, dest);  // put the old one back
    (void)fs_.RemoveAll(fresh);
    return s;
  }
  RETURN_IF_ERROR(fs_.SyncDir(parent));
  if (!aside.empty()) RETURN_IF_ERROR(fs_.RemoveAll(DirName(aside)));
  return OkStatus();
}

}  // namespace mlpipe::store
