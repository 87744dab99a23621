#include "mlpipe/engine/run_leftovers.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "mlpipe/base/strings.h"
#include "mlpipe/metadata/run_view.h"
#include "mlpipe/store/file_system.h"

namespace mlpipe::engine {
namespace fs = std::filesystem;
namespace {

// Allocated bytes under `path` (what removing it frees).
uint64_t AllocatedBytes(const fs::path& path) {
  uint64_t total = 0;
  std::error_code ec;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_blocks) * 512;
  if (!fs::is_directory(fs::symlink_status(path, ec))) return total;
  for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (::lstat(it->path().c_str(), &st) == 0) total += static_cast<uint64_t>(st.st_blocks) * 512;
  }
  return total;
}

// The parts of a finished run's folder that go: out.d, work.d, <step>/work-N.
std::vector<fs::path> LeftoversOf(const fs::path& run_dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(run_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == "out.d" || name == "work.d") {
      out.push_back(entry.path());
      continue;
    }
    if (!entry.is_directory(ec) || name == "metrics.d") continue;
    for (const auto& sub : fs::directory_iterator(entry.path(), ec)) {
      if (StartsWith(sub.path().filename().string(), "work-")) out.push_back(sub.path());
    }
  }
  return out;
}

}  // namespace

StatusOr<RunLeftovers> ReclaimRunLeftovers(const store::Workspace& ws, metadata::MetadataStore& db,
                                           bool dry_run) {
  RunLeftovers result;
  ASSIGN_OR_RETURN(auto runs, db.ListRuns(0));
  std::set<int64_t> known, in_progress;
  for (const auto& r : runs) {
    known.insert(r.id);
    if (metadata::ShownStatus(r) == "running") in_progress.insert(r.id);
  }
  std::error_code ec;
  store::FileSystem& files = store::PosixFileSystem();
  for (const auto& entry : fs::directory_iterator(ws.RunsDir(), ec)) {
    const std::string name = entry.path().filename().string();
    char* end = nullptr;
    const long long id = std::strtoll(name.c_str(), &end, 10);
    if (name.empty() || *end != '\0' || in_progress.count(id)) continue;
    std::vector<fs::path> doomed;
    if (known.count(id)) {
      doomed = LeftoversOf(entry.path());
    } else {
      doomed.push_back(entry.path());  // its run was deleted
    }
    for (const fs::path& path : doomed) {
      result.bytes += AllocatedBytes(path);
      result.paths.push_back(path.string());
      if (!dry_run) RETURN_IF_ERROR(files.RemoveAll(path.string()));
    }
  }
  return result;
}

}  // namespace mlpipe::engine
