// TriggerProbes: what the trigger engine asks of the world (a path's content
// digest, a branch's head commit, the files two commits differ in, the
// version an alias points at), behind an interface so that tests answer from
// a table (FakeTriggerProbes) and the server from the disk, git and the
// metadata store (RealTriggerProbes, trigger_probes_real.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::server {

struct CommitInfo {
  std::string sha;
  std::string author;
};

class TriggerProbes {
 public:
  virtual ~TriggerProbes() = default;
  // "sha256:<hex>" of a file's content or a folder's manifest; "" if the path
  // does not exist.
  virtual StatusOr<std::string> Digest(const std::string& path) = 0;
  // The branch's head; nullopt if the repository or branch is absent.
  virtual StatusOr<std::optional<CommitInfo>> Head(const std::string& repo, const std::string& branch) = 0;
  // Absolute paths of the files that differ between two commits.
  virtual StatusOr<std::vector<std::string>> ChangedFiles(const std::string& repo, const std::string& from,
                                                          const std::string& to) = 0;
  // The version MODEL@ALIAS points at; nullopt if the model or alias is absent.
  virtual StatusOr<std::optional<int64_t>> AliasVersion(const std::string& model,
                                                        const std::string& alias) = 0;
  // When the newest run of `pipeline` (by anyone) started, wall ns; 0 if none.
  virtual StatusOr<int64_t> LastRunStartNs(const std::string& pipeline) = 0;
};

// Answers from maps the test fills in.
class FakeTriggerProbes : public TriggerProbes {
 public:
  std::map<std::string, std::string> digests;               // path -> digest (absent = "")
  std::map<std::string, CommitInfo> heads;                  // "repo@branch" -> head
  std::map<std::string, std::vector<std::string>> changed;  // "from..to" -> files
  std::map<std::string, int64_t> aliases;                   // "model@alias" -> version
  std::map<std::string, int64_t> last_runs;                 // pipeline -> start ns
  int digest_calls = 0;

  StatusOr<std::string> Digest(const std::string& path) override {
    ++digest_calls;
    auto it = digests.find(path);
    return it == digests.end() ? std::string() : it->second;
  }
  StatusOr<std::optional<CommitInfo>> Head(const std::string& repo, const std::string& branch) override {
    auto it = heads.find(repo + "@" + branch);
    if (it == heads.end()) return std::optional<CommitInfo>();
    return std::optional<CommitInfo>(it->second);
  }
  StatusOr<std::vector<std::string>> ChangedFiles(const std::string& repo, const std::string& from,
                                                  const std::string& to) override {
    return changed[from + ".." + to];
  }
  StatusOr<std::optional<int64_t>> AliasVersion(const std::string& model, const std::string& alias) override {
    auto it = aliases.find(model + "@" + alias);
    if (it == aliases.end()) return std::optional<int64_t>();
    return std::optional<int64_t>(it->second);
  }
  StatusOr<int64_t> LastRunStartNs(const std::string& pipeline) override {
    auto it = last_runs.find(pipeline);
    return it == last_runs.end() ? 0 : it->second;
  }
};

}  // namespace mlpipe::server
