// ObjectStore: reading, materialising, verifying and removing objects.
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <vector>

#include "mlpipe/base/sha256.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::store {

bool ObjectStore::IsFolder(std::string_view ref) {
  auto hex = RefToHex(ref);
  return hex.ok() && fs_.Exists(ws_.ManifestPath(*hex));
}

StatusOr<Manifest> ObjectStore::ReadManifest(std::string_view folder_ref) {
  ASSIGN_OR_RETURN(std::string hex, RefToHex(folder_ref));
  auto text = fs_.ReadFileToString(ws_.ManifestPath(hex));
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) {
      return NotFoundError(fmt::format("folder {} is not in the store", folder_ref));
    }
    return text.status();
  }
  return ParseManifest(*text);
}

bool ObjectStore::Contains(std::string_view ref) {
  if (ContainsHere(ref)) return true;
  return FetchFromRemote(ref).ok() && ContainsHere(ref);
}

bool ObjectStore::ContainsHere(std::string_view ref) {
  auto hex = RefToHex(ref);
  if (!hex.ok()) return false;
  if (fs_.Exists(ws_.ManifestPath(*hex))) {
    auto m = ReadManifest(ref);
    if (!m.ok()) return false;
    for (const auto& e : m->entries) {
      if (!e.is_dir && !fs_.Exists(ws_.BlobPath(e.digest.substr(kRefPrefix.size())))) return false;
    }
    return true;
  }
  return fs_.Exists(ws_.BlobPath(*hex));
}

StatusOr<std::string> ObjectStore::Materialize(std::string_view ref) {
  auto here = MaterializeHere(ref);
  if (here.ok() || here.status().code() != StatusCode::kNotFound || remote_ == nullptr) return here;
  Status fetched = FetchFromRemote(ref);
  if (!fetched.ok()) return fetched.code() == StatusCode::kNotFound ? here.status() : fetched;
  return MaterializeHere(ref);
}

StatusOr<std::string> ObjectStore::MaterializeHere(std::string_view ref) {
  ASSIGN_OR_RETURN(std::string hex, RefToHex(ref));
  if (!fs_.Exists(ws_.ManifestPath(hex))) {
    std::string blob = ws_.BlobPath(hex);
    if (!fs_.Exists(blob)) return NotFoundError(fmt::format("object {} is not in the store", ref));
    return blob;
  }
  std::string tree = ws_.TreePath(hex);
  if (fs_.Exists(tree)) return tree;
  ASSIGN_OR_RETURN(Manifest m, ReadManifest(ref));
  RETURN_IF_ERROR(BuildTree(m, hex));
  return tree;
}

Status ObjectStore::BuildTree(const Manifest& m, const std::string& hex) {
  ASSIGN_OR_RETURN(std::string tmp, fs_.CreateTempDir(ws_.TmpDir(), TempPrefix("tree")));
  auto build = [&]() -> Status {
    std::set<std::string> dirs;
    for (const auto& e : m.entries) {
      std::string dest = JoinPath(tmp, e.path);
      std::string parent = e.is_dir ? dest : DirName(dest);
      RETURN_IF_ERROR(fs_.MakeDirs(parent));
      for (std::string d = parent; d.size() > tmp.size(); d = DirName(d)) dirs.insert(d);
      if (e.is_dir) continue;
      std::string blob = ws_.BlobPath(e.digest.substr(kRefPrefix.size()));
      if (!fs_.Exists(blob)) return NotFoundError(fmt::format("blob {} of a folder is missing", e.digest));
      if (e.executable || !fs_.Link(blob, dest).ok()) {
        RETURN_IF_ERROR(CopyBlobTo(blob, dest, e.executable ? 0555 : 0444));
      }
    }
    // Deepest first: make every folder durable, then read-only.
    for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
      RETURN_IF_ERROR(fs_.SyncDir(*it));
      RETURN_IF_ERROR(fs_.Chmod(*it, 0555));
    }
    RETURN_IF_ERROR(fs_.SyncDir(tmp));
    return OkStatus();
  };
  Status s = build();
  std::string tree = ws_.TreePath(hex);
  if (s.ok()) {
    s = fs_.Rename(tmp, tree);
    if (!s.ok() && fs_.Exists(tree)) s = OkStatus();  // another process built it first
  }
  if (!s.ok() || fs_.Exists(tmp)) (void)fs_.RemoveAll(tmp);
  RETURN_IF_ERROR(s);
  (void)fs_.Chmod(tree, 0555);
  return fs_.SyncDir(ws_.TreesDir());
}

void ObjectStore::VerifyBlob(const std::string& hex, const std::string& path, VerifyReport& report) {
  std::string ref = std::string(kRefPrefix) + hex;
  ++report.blobs_checked;
  auto st = fs_.Stat(path);
  if (!st.ok()) {
    report.problems.push_back({ref, path, ProblemKind::kMissing, st.status().message()});
    return;
  }
  report.bytes_checked += st->size;
  auto got = HashFile(fs_, path);
  if (!got.ok()) {
    report.problems.push_back({ref, path, ProblemKind::kUnreadable, got.status().message()});
  } else if (*got != ref) {
    report.problems.push_back({ref, path, ProblemKind::kDamaged, "content hashes to " + *got});
  }
}

void ObjectStore::VerifyFolder(const std::string& hex, VerifyReport& report) {
  std::string ref = std::string(kRefPrefix) + hex;
  std::string path = ws_.ManifestPath(hex);
  ++report.folders_checked;
  auto text = fs_.ReadFileToString(path);
  if (!text.ok()) {
    report.problems.push_back({ref, path, ProblemKind::kUnreadable, text.status().message()});
    return;
  }
  if (Sha256Hex(*text) != hex) {
    report.problems.push_back(
        {ref, path, ProblemKind::kDamaged, "manifest hashes to sha256:" + Sha256Hex(*text)});
    return;
  }
  auto m = ParseManifest(*text);
  if (!m.ok()) {
    report.problems.push_back({ref, path, ProblemKind::kDamaged, m.status().message()});
    return;
  }
  for (const auto& e : m->entries) {
    if (e.is_dir) continue;
    std::string blob = ws_.BlobPath(e.digest.substr(kRefPrefix.size()));
    if (!fs_.Exists(blob)) {
      report.problems.push_back(
          {ref, blob, ProblemKind::kMissing, fmt::format("file {} ({}) is missing", e.path, e.digest)});
    }
  }
}

namespace {

// Calls fn(hex, path) for every object file under a sharded dir (<2>/<62>).
Status ForEachSharded(FileSystem& fs, const std::string& root,
                      const std::function<void(const std::string&, const std::string&)>& fn) {
  ASSIGN_OR_RETURN(auto shards, fs.ReadDir(root));
  for (const auto& shard : shards) {
    std::string dir = JoinPath(root, shard.name);
    ASSIGN_OR_RETURN(auto files, fs.ReadDir(dir));
    for (const auto& f : files) fn(shard.name + f.name, JoinPath(dir, f.name));
  }
  return OkStatus();
}

}  // namespace

StatusOr<VerifyReport> ObjectStore::Verify() {
  VerifyReport report;
  RETURN_IF_ERROR(ForEachSharded(fs_, ws_.ObjectsDir(), [&](const std::string& hex, const std::string& path) {
    VerifyBlob(hex, path, report);
  }));
  RETURN_IF_ERROR(ForEachSharded(fs_, ws_.ManifestsDir(), [&](const std::string& hex, const std::string&) {
    VerifyFolder(hex, report);
  }));
  return report;
}

StatusOr<VerifyReport> ObjectStore::Verify(std::string_view ref) {
  ASSIGN_OR_RETURN(std::string hex, RefToHex(ref));
  VerifyReport report;
  if (fs_.Exists(ws_.ManifestPath(hex))) {
    VerifyFolder(hex, report);
    auto m = ReadManifest(ref);
    if (m.ok()) {
      std::set<std::string> seen;
      for (const auto& e : m->entries) {
        if (e.is_dir || !seen.insert(e.digest).second) continue;
        std::string bhex = e.digest.substr(kRefPrefix.size());
        if (fs_.Exists(ws_.BlobPath(bhex))) VerifyBlob(bhex, ws_.BlobPath(bhex), report);
      }
    }
    return report;
  }
  if (!fs_.Exists(ws_.BlobPath(hex))) return NotFoundError(fmt::format("object {} is not in the store", ref));
  VerifyBlob(hex, ws_.BlobPath(hex), report);
  return report;
}

StatusOr<std::vector<ObjectInfo>> ObjectStore::ListObjects() {
  std::vector<ObjectInfo> out;
  RETURN_IF_ERROR(ForEachSharded(fs_, ws_.ObjectsDir(), [&](const std::string& hex, const std::string& path) {
    auto st = fs_.Stat(path);
    out.push_back({std::string(kRefPrefix) + hex, st.ok() ? st->size : 0, false});
  }));
  RETURN_IF_ERROR(ForEachSharded(fs_, ws_.ManifestsDir(), [&](const std::string& hex, const std::string&) {
    auto m = ReadManifest(std::string(kRefPrefix) + hex);
    out.push_back({std::string(kRefPrefix) + hex, m.ok() ? m->TotalSize() : 0, true});
  }));
  return out;
}

StatusOr<std::vector<std::string>> ObjectStore::ReferencedBlobs(std::string_view folder_ref) {
  ASSIGN_OR_RETURN(Manifest m, ReadManifest(folder_ref));
  std::set<std::string> refs;
  for (const auto& e : m.entries) {
    if (!e.is_dir) refs.insert(e.digest);
  }
  return std::vector<std::string>(refs.begin(), refs.end());
}

Status ObjectStore::Remove(std::string_view ref) {
  ASSIGN_OR_RETURN(std::string hex, RefToHex(ref));
  std::string manifest = ws_.ManifestPath(hex);
  if (fs_.Exists(manifest)) {
    // The manifest is the folder's commit point: remove it first.
    RETURN_IF_ERROR(fs_.Unlink(manifest));
    RETURN_IF_ERROR(fs_.SyncDir(DirName(manifest)));
    std::string tree = ws_.TreePath(hex);
    if (!fs_.Exists(tree)) return OkStatus();
    // Move the tree out of sight first so a half-deleted tree is never served.
    RETURN_IF_ERROR(fs_.Chmod(tree, 0755));
    std::string doomed = JoinPath(ws_.TmpDir(), TempPrefix("gone") + hex);
    RETURN_IF_ERROR(fs_.Rename(tree, doomed));
    return fs_.RemoveAll(doomed);
  }
  std::string blob = ws_.BlobPath(hex);
  if (!fs_.Exists(blob)) return NotFoundError(fmt::format("object {} is not in the store", ref));
  RETURN_IF_ERROR(fs_.Unlink(blob));
  return fs_.SyncDir(DirName(blob));
}

}  // namespace mlpipe::store
