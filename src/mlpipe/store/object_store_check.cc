// ObjectStore: trusting stored objects. Check (a stat per file, a re-hash
// only for a file whose stamp or size moved) and the quarantine of damaged
// objects, so that nothing reuses an object whose content no longer matches
// its name.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "mlpipe/base/sha256.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::store {

CheckResult ObjectStore::CheckBlob(const std::string& hex, std::optional<uint64_t> size, bool rehash) {
  const std::string path = ws_.BlobPath(hex);
  const std::string ref = std::string(kRefPrefix) + hex;
  auto st = fs_.Stat(path);
  if (!st.ok()) return {Integrity::kAbsent, fmt::format("{} is not in the store", ref)};
  std::string detail;
  if (size && st->size != *size) {
    detail = fmt::format("its size is {} bytes, not {}", st->size, *size);
  } else if (st->mtime_ns == kObjectStampNs && !rehash) {
    return {Integrity::kIntact, ""};
  } else {
    // Written since it was stored, stored before objects were stamped, or a
    // hardlinked source: the content decides.
    auto got = HashFile(fs_, path);
    if (got.ok() && *got == ref) {
      // The store's own file (one link, or only its materialised trees') is
      // stamped so the next check is a stat again.
      if (st->link_count == 1 && st->mtime_ns != kObjectStampNs) (void)fs_.SetMtime(path, kObjectStampNs);
      return {Integrity::kIntact, ""};
    }
    detail = got.ok() ? "its content hashes to " + *got : got.status().message();
  }
  Status q = Quarantine(ref, detail);
  if (!q.ok()) detail += fmt::format(" (and it could not be quarantined: {})", q.message());
  return {Integrity::kDamaged, fmt::format("{} was damaged: {}", ref, detail)};
}

CheckResult ObjectStore::Check(std::string_view ref, bool rehash) {
  CheckResult here = CheckHere(ref, rehash);
  if (here.integrity != Integrity::kAbsent || remote_ == nullptr) return here;
  Status fetched = FetchFromRemote(ref);
  if (!fetched.ok()) {
    if (fetched.code() != StatusCode::kNotFound)
      here.detail = fmt::format("{}; {}", here.detail, fetched.message());
    return here;
  }
  return CheckHere(ref, rehash);
}

CheckResult ObjectStore::CheckHere(std::string_view ref, bool rehash) {
  auto hex = RefToHex(ref);
  if (!hex.ok()) return {Integrity::kAbsent, hex.status().message()};
  const std::string manifest_path = ws_.ManifestPath(*hex);
  auto mst = fs_.Stat(manifest_path);
  if (!mst.ok()) return CheckBlob(*hex, std::nullopt, rehash);
  auto text = fs_.ReadFileToString(manifest_path);
  std::string problem;
  if (!text.ok()) {
    problem = text.status().message();
  } else if ((mst->mtime_ns != kObjectStampNs || rehash) && Sha256Hex(*text) != *hex) {
    problem = "its manifest hashes to sha256:" + Sha256Hex(*text);
  }
  auto m = problem.empty() ? ParseManifest(*text) : StatusOr<Manifest>(DataLossError(problem));
  if (!m.ok()) {
    const std::string detail = m.status().message();
    (void)Quarantine(ref, detail);
    return {Integrity::kDamaged, fmt::format("folder {} was damaged: {}", ref, detail)};
  }
  for (const auto& e : m->entries) {
    if (e.is_dir) continue;
    CheckResult blob = CheckBlob(e.digest.substr(kRefPrefix.size()), e.size, rehash);
    if (blob.integrity == Integrity::kAbsent) {
      return {Integrity::kAbsent,
              fmt::format("file {} ({}) of folder {} is not in the store", e.path, e.digest, ref)};
    }
    if (!blob.ok())
      return {Integrity::kDamaged, fmt::format("file {} of folder {}: {}", e.path, ref, blob.detail)};
  }
  return {Integrity::kIntact, ""};
}

Status ObjectStore::Quarantine(std::string_view ref, const std::string& detail) {
  ASSIGN_OR_RETURN(std::string hex, RefToHex(ref));
  const bool folder = fs_.Exists(ws_.ManifestPath(hex));
  const std::string path = folder ? ws_.ManifestPath(hex) : ws_.BlobPath(hex);
  if (!fs_.Exists(path)) return OkStatus();
  RETURN_IF_ERROR(fs_.MakeDirs(ws_.QuarantineDir()));
  const int64_t now = clock_.WallNanos();
  const std::string dest = ws_.QuarantinePath(hex, now);
  nlohmann::json note = {{"ref", std::string(ref)},
                         {"kind", folder ? "folder" : "file"},
                         {"detail", detail},
                         {"quarantined_ns", now}};
  RETURN_IF_ERROR(fs_.WriteFileAtomically(dest + ".json", note.dump() + "\n"));
  // Trees first: a tree is a cache of hardlinks to the blobs, served as is.
  if (folder) {
    std::string tree = ws_.TreePath(hex);
    if (fs_.Exists(tree)) {
      RETURN_IF_ERROR(fs_.Chmod(tree, 0755));
      std::string doomed = JoinPath(ws_.TmpDir(), TempPrefix("gone") + hex);
      RETURN_IF_ERROR(fs_.Rename(tree, doomed));
      RETURN_IF_ERROR(fs_.RemoveAll(doomed));
    }
  } else {
    RETURN_IF_ERROR(RemoveTreesHolding(hex));
  }
  RETURN_IF_ERROR(fs_.Rename(path, dest));
  return fs_.SyncDir(DirName(path));
}

Status ObjectStore::RemoveTreesHolding(const std::string& hex) {
  const std::string ref = std::string(kRefPrefix) + hex;
  ASSIGN_OR_RETURN(auto trees, fs_.ReadDir(ws_.TreesDir()));
  for (const auto& t : trees) {
    auto m = ReadManifest(std::string(kRefPrefix) + t.name);
    bool holds = !m.ok();  // a tree without a readable manifest is not to be trusted either
    for (size_t i = 0; m.ok() && i < m->entries.size() && !holds; ++i) holds = m->entries[i].digest == ref;
    if (!holds) continue;
    std::string tree = ws_.TreePath(t.name);
    RETURN_IF_ERROR(fs_.Chmod(tree, 0755));
    std::string doomed = JoinPath(ws_.TmpDir(), TempPrefix("gone") + t.name);
    RETURN_IF_ERROR(fs_.Rename(tree, doomed));
    RETURN_IF_ERROR(fs_.RemoveAll(doomed));
  }
  return OkStatus();
}

std::optional<QuarantineNote> ObjectStore::QuarantinedAs(std::string_view ref) {
  auto hex = RefToHex(ref);
  if (!hex.ok()) return std::nullopt;
  auto entries = fs_.ReadDir(ws_.QuarantineDir());
  if (!entries.ok()) return std::nullopt;
  std::optional<QuarantineNote> newest;
  const std::string prefix = *hex + ".";
  for (const auto& e : *entries) {
    if (e.name.rfind(prefix, 0) != 0 || e.name.size() < 5 || e.name.substr(e.name.size() - 5) != ".json")
      continue;
    auto text = fs_.ReadFileToString(JoinPath(ws_.QuarantineDir(), e.name));
    if (!text.ok()) continue;
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (!j.is_object()) continue;
    QuarantineNote note{std::string(ref), j.value("detail", ""), j.value("quarantined_ns", int64_t{0})};
    if (!newest || note.quarantined_ns > newest->quarantined_ns) newest = note;
  }
  return newest;
}

}  // namespace mlpipe::store
