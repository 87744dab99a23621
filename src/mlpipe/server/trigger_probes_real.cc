#include "mlpipe/server/trigger_probes_real.h"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "mlpipe/base/strings.h"
#include "mlpipe/exec/spawn.h"

namespace mlpipe::server {
namespace {

// Runs git with `args` in `repo`; its stdout, or nullopt when git fails.
std::optional<std::string> Git(const std::string& repo, std::vector<std::string> args) {
  exec::Command command;
  command.argv = {"git", "-C", repo};
  command.argv.insert(command.argv.end(), args.begin(), args.end());
  int fds[2];
  if (pipe(fds) != 0) return std::nullopt;
  std::string error;
  const int devnull = -1;
  const pid_t pid = exec::SpawnProcessGroup(command, fds[1], devnull, &error);
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return std::nullopt;
  }
  std::string out;
  char buf[8192];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
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
