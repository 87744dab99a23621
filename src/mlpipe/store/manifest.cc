#include "mlpipe/store/manifest.h"

#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::store {

uint64_t Manifest::TotalSize() const {
  uint64_t total = 0;
  for (const auto& e : entries) total += e.size;
  return total;
}

uint64_t Manifest::FileCount() const {
  return static_cast<uint64_t>(std::count_if(entries.begin(), entries.end(), [](const auto& e) { return !e.is_dir; }));
}

StatusOr<std::string> SerializeManifest(const Manifest& m) {
  std::vector<const ManifestEntry*> sorted;
  for (const auto& e : m.entries) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return a->path < b->path; });
  nlohmann::json entries = nlohmann::json::array();
  for (const auto* e : sorted) {
    nlohmann::json j;
    j["path"] = e->path;
    if (e->is_dir) {
      j["type"] = "dir";
    } else {
      j["type"] = "file";
      j["size"] = e->size;
      j["digest"] = e->digest;
      j["executable"] = e->executable;
    }
    entries.push_back(std::move(j));
  }
  nlohmann::json doc;
  doc["format"] = kManifestFormat;
  doc["entries"] = std::move(entries);
  try {
    return doc.dump();
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("folder has a file name that is not UTF-8: ") + e.what());
  }
}

StatusOr<Manifest> ParseManifest(std::string_view text) {
  try {
    nlohmann::json doc = nlohmann::json::parse(text);
    if (!doc.is_object() || doc.value("format", "") != kManifestFormat || !doc["entries"].is_array()) {
      return DataLossError("not an mlpipe folder manifest");
    }
    Manifest m;
    for (const auto& j : doc["entries"]) {
      ManifestEntry e;
      e.path = j.at("path").get<std::string>();
      for (const std::string& part : Split(e.path, '/')) {
        if (part.empty() || part == "." || part == "..") return DataLossError("manifest has an unsafe path: " + e.path);
      }
      std::string type = j.at("type").get<std::string>();
      if (type == "dir") {
        e.is_dir = true;
      } else if (type == "file") {
        e.size = j.at("size").get<uint64_t>();
        e.digest = j.at("digest").get<std::string>();
        e.executable = j.at("executable").get<bool>();
        if (!IsValidRef(e.digest)) return DataLossError("manifest has a bad digest: " + e.digest);
      } else {
        return DataLossError("manifest has an entry of unknown type: " + type);
      }
      m.entries.push_back(std::move(e));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    return DataLossError(std::string("bad manifest: ") + e.what());
  }
}

namespace {

Status Walk(FileSystem& fs, const std::string& root, const std::string& rel, std::vector<WalkEntry>& out) {
  std::string dir = rel.empty() ? root : JoinPath(root, rel);
  ASSIGN_OR_RETURN(auto entries, fs.ReadDir(dir));
  if (entries.empty() && !rel.empty()) {
    ASSIGN_OR_RETURN(FileStat st, fs.Stat(dir));
    out.push_back({rel, st});
  }
  for (const auto& e : entries) {
    std::string child_rel = rel.empty() ? e.name : rel + "/" + e.name;
    std::string child = JoinPath(root, child_rel);
    ASSIGN_OR_RETURN(FileStat st, fs.Stat(child));
    if (st.is_dir) {
      RETURN_IF_ERROR(Walk(fs, root, child_rel, out));
    } else if (st.is_regular) {
      out.push_back({child_rel, st});
    } else {
      return InvalidArgumentError(child + ": only regular files and folders can be stored (symlink or special file)");
    }
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::vector<WalkEntry>> WalkFolder(FileSystem& fs, const std::string& root) {
  std::vector<WalkEntry> out;
  RETURN_IF_ERROR(Walk(fs, root, "", out));
  return out;
}

StatusOr<std::string> HashFile(FileSystem& fs, const std::string& path) {
  ASSIGN_OR_RETURN(auto file, fs.OpenForRead(path));
  Sha256 h;
  auto buf_owner = std::make_unique_for_overwrite<char[]>(1 << 20);
  char* buf = buf_owner.get();
  while (true) {
    ASSIGN_OR_RETURN(size_t n, file->Read(buf, size_t{1} << 20));
    if (n == 0) break;
    h.Update(buf, n);
  }
  return DigestRef(h.Finish());
}

}  // namespace mlpipe::store
