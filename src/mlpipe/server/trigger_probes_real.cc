#include "mlpipe/server/trigger_probes_real.h"

#include <fmt/format.h>

#include <filesystem>

#include "mlpipe/base/strings.h"
#include "mlpipe/exec/run_tool.h"

namespace mlpipe::server {
namespace {

// Runs git with `args` in `repo`; its stdout, or nullopt when git fails.
std::optional<std::string> Git(const std::string& repo, std::vector<std::string> args) {
  std::vector<std::string> argv = {"git", "-C", repo};
  argv.insert(argv.end(), args.begin(), args.end());
  auto result = exec::RunTool(argv);
  if (!result.ok() || !result->ok()) return std::nullopt;
  return result->out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

RealTriggerProbes::RealTriggerProbes(metadata::MetadataStore& db) : db_(db) {
  auto cache = store::HashCache::Open("");
  if (cache.ok()) hashes_ = std::move(*cache);
}

StatusOr<std::string> RealTriggerProbes::Digest(const std::string& path) {
  if (!hashes_) return InternalError("no hash cache");
  auto digest = hashes_->HashSource(path);
  if (!digest.ok()) {
    if (digest.status().code() == StatusCode::kNotFound) return std::string();
    return digest.status();
  }
  return digest->ref;
}

StatusOr<std::optional<CommitInfo>> RealTriggerProbes::Head(const std::string& repo,
                                                            const std::string& branch) {
  const std::string rev = branch.empty() ? "HEAD" : "refs/heads/" + branch;
  auto out = Git(repo, {"log", "-1", "--format=%H%x00%an", rev, "--"});
  if (!out) return std::optional<CommitInfo>();
  const std::string line = Trim(*out);
  const size_t nul = line.find('\0');
  if (nul == std::string::npos) return std::optional<CommitInfo>();
  return std::optional<CommitInfo>(CommitInfo{line.substr(0, nul), line.substr(nul + 1)});
}

StatusOr<std::vector<std::string>> RealTriggerProbes::ChangedFiles(const std::string& repo,
                                                                   const std::string& from,
                                                                   const std::string& to) {
  auto top = Git(repo, {"rev-parse", "--show-toplevel"});
  auto out = Git(repo, {"diff", "--name-only", from, to});
  if (!top || !out) return UnavailableError(fmt::format("git diff {}..{} failed in {}", from, to, repo));
  std::vector<std::string> files;
  for (const std::string& line : Split(*out, '\n')) {
    if (!line.empty())
      files.push_back((std::filesystem::path(Trim(*top)) / line).lexically_normal().string());
  }
  return files;
}

StatusOr<std::optional<int64_t>> RealTriggerProbes::AliasVersion(const std::string& model,
                                                                 const std::string& alias) {
  auto v = db_.ResolveModel(alias.empty() ? model + "@latest" : model + "@" + alias);
  if (!v.ok()) {
    if (v.status().code() == StatusCode::kNotFound) return std::optional<int64_t>();
    return v.status();
  }
  return std::optional<int64_t>(v->version);
}

StatusOr<int64_t> RealTriggerProbes::LastRunStartNs(const std::string& pipeline) {
  ASSIGN_OR_RETURN(auto runs, db_.ListRuns(1, pipeline));
  return runs.empty() ? int64_t{0} : runs[0].started_ns;
}

}  // namespace mlpipe::server
