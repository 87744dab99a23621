// RealTriggerProbes: digests from the disk (a HashCache in memory: a file
// whose stat did not move is not read again), branch heads and changed files
// from git, aliases and last runs from the metadata store.
#pragma once

#include <memory>
#include <string>

#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/server/trigger_probes.h"
#include "mlpipe/store/hash_cache.h"

namespace mlpipe::server {

class RealTriggerProbes : public TriggerProbes {
 public:
  // `db` is used from the calling thread only.
  explicit RealTriggerProbes(metadata::MetadataStore& db);
  StatusOr<std::string> Digest(const std::string& path) override;
  StatusOr<std::optional<CommitInfo>> Head(const std::string& repo, const std::string& branch) override;
  StatusOr<std::vector<std::string>> ChangedFiles(const std::string& repo, const std::string& from,
                                                  const std::string& to) override;
  StatusOr<std::optional<int64_t>> AliasVersion(const std::string& model, const std::string& alias) override;
  StatusOr<int64_t> LastRunStartNs(const std::string& pipeline) override;

 private:
  metadata::MetadataStore& db_;
  std::unique_ptr<store::HashCache> hashes_;
};

}  // namespace mlpipe::server
