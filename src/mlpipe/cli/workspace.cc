#include "mlpipe/cli/workspace.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "mlpipe/metadata/open_store.h"

namespace mlpipe::cli {

StatusOr<store::Workspace> OpenWorkspace(bool create) {
  std::string cwd = std::filesystem::current_path().string();
  if (create) return store::Workspace::OpenOrCreate(cwd);
  auto ws = store::Workspace::Open(cwd);
  if (!ws.ok() && ws.status().code() == StatusCode::kNotFound) {
    return NotFoundError(
        "no mlpipe workspace (.mlpipe) here or in any parent folder; `mlpipe run` creates one "
        "(or set MLPIPE_HOME)");
  }
  return ws;
}

StatusOr<spec::WorkspaceConfig> LoadSettings(const store::Workspace& ws) {
  ASSIGN_OR_RETURN(spec::WorkspaceConfig config, spec::LoadWorkspaceConfig(ws.ConfigPath()));
  RETURN_IF_ERROR(spec::ApplyEnvironment(config));
  return config;
}

std::string MetadataLocation(const store::Workspace& ws, const spec::WorkspaceConfig& config) {
  return config.metadata.empty() ? ws.MetadataDbPath() : config.metadata;
}

StatusOr<std::unique_ptr<metadata::MetadataStore>> OpenMetadata(const store::Workspace& ws,
                                                                const spec::WorkspaceConfig& config) {
  if (config.metadata.empty()) return metadata::OpenMetadataStore(ws.MetadataDbPath());
  auto db = metadata::OpenMetadataStore(config.metadata);
  if (db.ok()) return db;
  // A database that does not answer, refuses the credentials or does not
  // exist is a setting to fix (exit 2), said before anything runs.
  return InvalidArgumentError(fmt::format(
      "{} (metadata: from {})", db.status().message(),
      config.file.empty() || std::getenv("MLPIPE_METADATA") != nullptr ? "MLPIPE_METADATA" : config.file));
}

StatusOr<OpenStores> OpenAll() {
  OpenStores s;
  ASSIGN_OR_RETURN(s.ws, OpenWorkspace(false));
  ASSIGN_OR_RETURN(s.config, LoadSettings(s.ws));
  ASSIGN_OR_RETURN(s.db, OpenMetadata(s.ws, s.config));
  ASSIGN_OR_RETURN(s.objects, store::ObjectStore::Open(s.ws));
  ASSIGN_OR_RETURN(s.shared, AttachSharedObjects(s.config, *s.objects));
  return s;
}

StatusOr<std::unique_ptr<metadata::DeploymentStore>> OpenDeploymentStore(OpenStores& stores) {
  return metadata::SharingDeploymentStore(*stores.db);
}

}  // namespace mlpipe::cli
