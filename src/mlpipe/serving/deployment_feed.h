// DeploymentFeed: where a running server learns that its deployment changed
// (new weights, a variant added or dropped). The server polls it every poll
// interval and on POST /v2/deployments/NAME/reload (deployment_follower.h).
//
//   FileDeploymentFeed  a deployment YAML file: a new revision each time its
//                       content changes (`mlpipe serve --deployment FILE`).
//   FakeDeploymentFeed  tests: revisions pushed by hand.
//   StoreDeploymentFeed the metadata store's deployment record (a stored
//                       deployment: `mlpipe serve --deployment NAME`), in
//                       store_deployment_feed.h.
//
// Thread-safety: the server calls Poll from one thread at a time (its
// follower serialises polls); FakeDeploymentFeed is thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "mlpipe/base/status.h"
#include "mlpipe/serving/deployment.h"

namespace mlpipe::serving {

// A newer revision and its config, or nothing.
using NewRevision = std::optional<std::pair<int64_t, DeploymentConfig>>;

class DeploymentFeed {
 public:
  virtual ~DeploymentFeed() = default;
  // A revision newer than `known_revision` and its config, or nullopt when
  // `known_revision` is still the latest. An error when the record cannot
  // be read or does not parse (the server keeps serving what it has).
  virtual StatusOr<NewRevision> Poll(int64_t known_revision) = 0;
};

// Follows a deployment YAML file. Revision 1 is the content read by Create;
// each later Poll that finds different bytes in the file parses them and,
// if they parse, answers revision + 1. A file that does not parse is an
// error until it is fixed (its revision is not taken, so the fix is seen).
class FileDeploymentFeed : public DeploymentFeed {
 public:
  // Reads and parses the file now (the errors of DeploymentConfig::FromFile).
  static StatusOr<std::unique_ptr<FileDeploymentFeed>> Create(const std::string& path);
  // The config read by Create (revision 1).
  const DeploymentConfig& initial() const { return initial_; }
  StatusOr<NewRevision> Poll(int64_t known_revision) override;

 private:
  FileDeploymentFeed(std::string path, std::string text, DeploymentConfig initial)
      : path_(std::move(path)), text_(std::move(text)), initial_(std::move(initial)) {}
  std::string path_;
  std::string text_;  // the content of the latest revision
  DeploymentConfig initial_;
  DeploymentConfig latest_;  // revision_'s config (when revision_ > 1)
  int64_t revision_ = 1;
};

// Revisions set by tests. Poll answers the latest one if it is newer than
// known_revision, or the error set by Fail (once).
class FakeDeploymentFeed : public DeploymentFeed {
 public:
  void Push(int64_t revision, DeploymentConfig config);
  void Fail(Status error);
  int polls() const;
  StatusOr<NewRevision> Poll(int64_t known_revision) override;

 private:
  mutable std::mutex mu_;
  std::optional<std::pair<int64_t, DeploymentConfig>> latest_;
  Status error_;
  int polls_ = 0;
};

}  // namespace mlpipe::serving
