#include "mlpipe/store/layout.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

namespace mlpipe::store {
namespace {

StatusOr<std::string> Absolute(const std::string& dir) {
  if (!dir.empty() && dir[0] == '/') return dir;
  char buf[4096];
  if (::getcwd(buf, sizeof(buf)) == nullptr) return ErrnoError("getcwd", errno);
  std::string cwd = buf;
  if (dir.empty() || dir == ".") return cwd;
  return JoinPath(cwd, dir);
}

std::optional<std::string> HomeFromEnv() {
  const char* v = std::getenv("MLPIPE_HOME");
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

// Every step name becomes a path component: reject anything that could escape.
std::string SafeComponent(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '/' || c == '\0') c = '_';
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  return out;
}

}  // namespace

StatusOr<std::string> RefToHex(std::string_view ref) {
  if (ref.substr(0, kRefPrefix.size()) != kRefPrefix || ref.size() != kRefPrefix.size() + 64) {
    return InvalidArgumentError(fmt::format("not an artifact ref (want sha256:<64 hex>): '{}'", ref));
  }
  std::string_view hex = ref.substr(kRefPrefix.size());
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return InvalidArgumentError(fmt::format("not an artifact ref (bad hex digit): '{}'", ref));
    }
  }
  return std::string(hex);
}

bool IsValidRef(std::string_view ref) { return RefToHex(ref).ok(); }

StatusOr<Workspace> Workspace::Open(const std::string& start_dir,
                                    const std::optional<std::string>& mlpipe_home) {
  FileSystem& fs = PosixFileSystem();
  if (mlpipe_home) {
    auto st = fs.Stat(*mlpipe_home);
    if (!st.ok() || !st->is_dir) return NotFoundError("MLPIPE_HOME " + *mlpipe_home + " is not a folder");
    ASSIGN_OR_RETURN(std::string abs, Absolute(*mlpipe_home));
    return Workspace(abs);
  }
  ASSIGN_OR_RETURN(std::string dir, Absolute(start_dir));
  while (true) {
    std::string candidate = JoinPath(dir, std::string(kWorkspaceDirName));
    auto st = fs.Stat(candidate);
    if (st.ok() && st->is_dir) return Workspace(candidate);
    if (dir == "/" || dir.empty()) break;
    dir = DirName(dir);
  }
  return NotFoundError("no .mlpipe workspace in " + start_dir +
                       " or any parent (set MLPIPE_HOME or run there)");
}

StatusOr<Workspace> Workspace::Open(const std::string& start_dir) { return Open(start_dir, HomeFromEnv()); }

StatusOr<Workspace> Workspace::OpenOrCreate(const std::string& start_dir,
                                            const std::optional<std::string>& mlpipe_home, FileSystem& fs) {
  auto found = Open(start_dir, std::nullopt);
  std::string root;
  if (mlpipe_home) {
    ASSIGN_OR_RETURN(root, Absolute(*mlpipe_home));
  } else if (found.ok()) {
    root = found->root();
  } else {
    ASSIGN_OR_RETURN(std::string abs, Absolute(start_dir));
    root = JoinPath(abs, std::string(kWorkspaceDirName));
  }
  Workspace ws(root);
  for (const std::string& d :
       {ws.ObjectsDir(), ws.ManifestsDir(), ws.TreesDir(), ws.TmpDir(), ws.RunsDir(), ws.LocksDir()}) {
    RETURN_IF_ERROR(fs.MakeDirs(d));
  }
  return ws;
}

StatusOr<Workspace> Workspace::OpenOrCreate(const std::string& start_dir) {
  return OpenOrCreate(start_dir, HomeFromEnv());
}

std::string Workspace::ObjectsDir() const { return root_ + "/objects/sha256"; }
std::string Workspace::BlobPath(std::string_view hex) const {
  return fmt::format("{}/{}/{}", ObjectsDir(), hex.substr(0, 2), hex.substr(2));
}
std::string Workspace::ManifestsDir() const { return root_ + "/manifests/sha256"; }
std::string Workspace::ManifestPath(std::string_view hex) const {
  return fmt::format("{}/{}/{}", ManifestsDir(), hex.substr(0, 2), hex.substr(2));
}
std::string Workspace::TreesDir() const { return root_ + "/trees"; }
std::string Workspace::TreePath(std::string_view hex) const { return fmt::format("{}/{}", TreesDir(), hex); }
std::string Workspace::TmpDir() const { return root_ + "/tmp"; }
std::string Workspace::QuarantineDir() const { return root_ + "/quarantine"; }
std::string Workspace::QuarantinePath(std::string_view hex, int64_t ns) const {
  return fmt::format("{}/{}.{}", QuarantineDir(), hex, ns);
}
std::string Workspace::MetadataDbPath() const { return root_ + "/metadata.db"; }
std::string Workspace::ConfigPath() const { return root_ + "/config.yaml"; }
std::string Workspace::RunsDir() const { return root_ + "/runs"; }
std::string Workspace::RunDir(int64_t run_id) const { return fmt::format("{}/{}", RunsDir(), run_id); }
std::string Workspace::StepDir(int64_t run_id, std::string_view step) const {
  return fmt::format("{}/{}", RunDir(run_id), SafeComponent(step));
}
std::string Workspace::RunOutputsDir(int64_t run_id) const { return RunDir(run_id) + "/out.d"; }
std::string Workspace::RunWorkDir(int64_t run_id) const { return RunDir(run_id) + "/work.d"; }
std::string Workspace::RunMetricsDir(int64_t run_id) const { return RunDir(run_id) + "/metrics.d"; }
std::string Workspace::StagedOutputPath(int64_t run_id, std::string_view step,
                                        std::string_view output) const {
  return fmt::format("{}/{}.{}", RunOutputsDir(run_id), SafeComponent(step), SafeComponent(output));
}
std::string Workspace::PooledWorkDir(int64_t run_id, int n) const {
  return fmt::format("{}/{}", RunWorkDir(run_id), n);
}
std::string Workspace::MetricsFilePath(int64_t run_id, std::string_view step, int attempt) const {
  return fmt::format("{}/{}.{}.jsonl", RunMetricsDir(run_id), SafeComponent(step), attempt);
}
std::string Workspace::KeptWorkDir(int64_t run_id, std::string_view step, int attempt) const {
  return fmt::format("{}/work-{}", StepDir(run_id, step), attempt);
}
std::string Workspace::InvocationPath(int64_t run_id, std::string_view step, int attempt) const {
  return fmt::format("{}/invocation-{}.json", StepDir(run_id, step), attempt);
}
std::string Workspace::ScriptPath(int64_t run_id, std::string_view step, int attempt) const {
  return fmt::format("{}/command-{}.sh", StepDir(run_id, step), attempt);
}
std::string Workspace::AttemptStdoutLog(int64_t run_id, std::string_view step, int attempt) const {
  return fmt::format("{}/attempt-{}.stdout.log", StepDir(run_id, step), attempt);
}
std::string Workspace::AttemptStderrLog(int64_t run_id, std::string_view step, int attempt) const {
  return fmt::format("{}/attempt-{}.stderr.log", StepDir(run_id, step), attempt);
}
std::string Workspace::HashCachePath() const { return root_ + "/hash-cache"; }
std::string Workspace::ReservePath() const { return root_ + "/reserve"; }
std::string Workspace::LocksDir() const { return root_ + "/locks"; }
std::string Workspace::LockPath(std::string_view name) const {
  return fmt::format("{}/{}.lock", LocksDir(), SafeComponent(name));
}
std::string Workspace::StepProcessesPath(std::string_view pipeline) const {
  return fmt::format("{}/pipeline-{}.steps", LocksDir(), SafeComponent(pipeline));
}

}  // namespace mlpipe::store
