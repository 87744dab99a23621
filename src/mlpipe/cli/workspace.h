// Opening the workspace and the stores for CLI commands.
#pragma once

#include <memory>

#include "mlpipe/base/status.h"
#include "mlpipe/cli/shared_objects.h"
#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/spec/workspace_config.h"
#include "mlpipe/store/layout.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::cli {

// The workspace found from the current directory (MLPIPE_HOME overrides);
// created in the current directory if `create` and none exists.
StatusOr<store::Workspace> OpenWorkspace(bool create);

// The workspace's settings: `.mlpipe/config.yaml` with the environment's
// overrides applied (spec/workspace_config.h). InvalidArgument (exit 2) with
// file:line:column for a bad file.
StatusOr<spec::WorkspaceConfig> LoadSettings(const store::Workspace& ws);

// Where the workspace's metadata is: the workspace's SQLite file unless
// `metadata:` (or MLPIPE_METADATA) names another location (a PostgreSQL
// URL). The runs, the registry, the deployments and the server's own tables
// are all there (metadata/open_store.h opens each).
std::string MetadataLocation(const store::Workspace& ws, const spec::WorkspaceConfig& config);

// The metadata store the settings name (MetadataLocation).
StatusOr<std::unique_ptr<metadata::MetadataStore>> OpenMetadata(const store::Workspace& ws,
                                                                const spec::WorkspaceConfig& config);

struct OpenStores {
  store::Workspace ws{""};
  std::unique_ptr<metadata::MetadataStore> db;
  std::unique_ptr<store::ObjectStore> objects;
  std::unique_ptr<SharedObjects> shared;  // objects' S3 store, if the settings name one
  spec::WorkspaceConfig config;
};

// Workspace, metadata and object store for read-mostly commands. NotFound
// with a hint if there is no workspace yet.
StatusOr<OpenStores> OpenAll();

// The deployment store on `stores.db`'s connection (it must outlive the
// result): its writes join the registry's transactions, so a revision, its
// decision and the alias moves behind them commit together.
StatusOr<std::unique_ptr<metadata::DeploymentStore>> OpenDeploymentStore(OpenStores& stores);

}  // namespace mlpipe::cli
