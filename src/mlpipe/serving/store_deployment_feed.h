// StoreDeploymentFeed: a stored deployment (`mlpipe serve --deployment NAME`)
// followed through the metadata store's deployment record: each poll reads
// the current revision number (one indexed row) and, when it is newer than
// the server's, the revision's config (DeploymentConfig::FromJson of the
// stored JSON). The store is a connection of the feed's own, so polling never
// waits on the serving thread's registry reads.
//
// Built on metadata::DeploymentStore (metadata/deployment_store.h), opened
// where the workspace's metadata is (SQLite or PostgreSQL), and
// DeploymentConfig::FromJson.
#pragma once

#include <memory>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/serving/deployment_feed.h"

namespace mlpipe::serving {

// The feed of stored deployment `name` in the metadata database at
// `metadata` (a SQLite file's path or a PostgreSQL URL: metadata/open_store.h),
// with its first revision (the one to serve at start) read now. NotFound
// (with a hint) if there is no such deployment.
struct StoredDeployment {
  std::unique_ptr<DeploymentFeed> feed;
  int64_t revision = 0;
  DeploymentConfig config;
};
StatusOr<StoredDeployment> OpenStoredDeployment(const std::string& metadata, const std::string& name);

}  // namespace mlpipe::serving
