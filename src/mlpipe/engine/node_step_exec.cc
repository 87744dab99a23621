#include "mlpipe/engine/node_step_exec.h"

#include <fmt/format.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mlpipe::engine {
namespace fs = std::filesystem;

namespace {

std::string NodeHostName() {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "?";
  return name;
}

Status MakeNodeDirs(const fs::path& dir) {
  if (dir.empty()) return OkStatus();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return InternalError(fmt::format("cannot make {}: {}", dir.string(), ec.message()));
  return OkStatus();
}

// Removes the job folder when the step is done with it, whatever happened.
class NodeJobDir {
 public:
  explicit NodeJobDir(std::string path) : path_(std::move(path)) {}
  ~NodeJobDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  NodeJobDir(const NodeJobDir&) = delete;
  NodeJobDir& operator=(const NodeJobDir&) = delete;

 private:
  std::string path_;
};

Status PrepareNodeTree(const NodeStepRequest& r, store::ObjectStore& objects) {
  for (const auto& [path, ref] : r.objects) {
    auto at = objects.Materialize(ref);
    if (!at.ok()) return at.status().WithContext(fmt::format("input {} ({})", path, ref));
    RETURN_IF_ERROR(MakeNodeDirs(fs::path(path).parent_path()));
    std::error_code ec;
    fs::create_symlink(*at, path, ec);
    if (ec) return InternalError(fmt::format("cannot link {} to {}: {}", path, *at, ec.message()));
  }
  for (const auto& [path, text] : r.texts) {
    RETURN_IF_ERROR(MakeNodeDirs(fs::path(path).parent_path()));
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return InternalError(fmt::format("cannot write {}", path));
  }
  RETURN_IF_ERROR(MakeNodeDirs(r.command.cwd));
  for (const auto& [path, theirs] : r.returned) RETURN_IF_ERROR(MakeNodeDirs(fs::path(path).parent_path()));
  return OkStatus();
}

StatusOr<exec::CommandResult> RunOnNode(const exec::Command& command, exec::CommandRunner& runner) {
  RETURN_IF_ERROR(runner.Start(0, command));
  bool aborted = false;
  for (;;) {
    auto ended = runner.Wait(exec::kNoDeadline);
    if (!ended.ok()) {
      // SIGTERM from the scheduler (its time limit, scancel): end the step,
      // then still send back what it wrote.
      if (ended.status().code() != StatusCode::kCancelled || aborted) return ended.status();
      runner.AbortAll();
      aborted = true;
      continue;
    }
    if (*ended) return (*ended)->second;
  }
}

}  // namespace

StatusOr<NodeStepResult> RunNodeStep(const NodeStepRequest& r, store::ObjectStore& objects,
                                     exec::CommandRunner& runner) {
  std::error_code ec;
  fs::remove_all(r.job_dir, ec);  // an earlier try of the same token
  RETURN_IF_ERROR(MakeNodeDirs(r.job_dir));
  NodeJobDir cleanup(r.job_dir);
  RETURN_IF_ERROR(PrepareNodeTree(r, objects));

  NodeStepResult out;
  out.node = NodeHostName();
  exec::Command command = r.command;
  command.env = WithSecrets(command.env, [](const char* name) { return std::getenv(name); });
  ASSIGN_OR_RETURN(out.result, RunOnNode(command, runner));
  for (const auto& [path, theirs] : r.returned) {
    const fs::file_status st = fs::symlink_status(path, ec);
    if (ec || !fs::exists(st)) continue;
    const bool log = path == r.command.stdout_path || path == r.command.stderr_path;
    if (log && fs::is_regular_file(st) && fs::file_size(path, ec) == 0) continue;  // as a local run: no file
    auto stored = objects.Put(path, store::PutMode::kMove);
    if (!stored.ok()) {
      if (out.result.error.empty())
        out.result.error =
            fmt::format("storing {} on node {}: {}", theirs, out.node, stored.status().message());
      continue;
    }
    out.files.push_back({theirs, stored->ref, stored->is_dir});
  }
  return out;
}

}  // namespace mlpipe::engine
