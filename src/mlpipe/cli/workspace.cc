#include "mlpipe/cli/workspace.h"

#include <filesystem>

#include "mlpipe/metadata/sqlite_deployment_store.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::cli {

StatusOr<store::Workspace> OpenWorkspace(bool create) {
  std::string cwd = std::filesystem::current_path().string();
  if (create) return store::Workspace::OpenOrCreate(cwd);
  auto ws = store::Workspace::Open(cwd);
  if (!ws.ok() && ws.status().code() == StatusCode::kNotFound) {
    return NotFoundError("no mlpipe workspace (.mlpipe) here or in any parent folder; `mlpipe run` creates one "
                         "(or set MLPIPE_HOME)");
  }
  return ws;
}

StatusOr<OpenStores> OpenAll() {
  OpenStores s;
  ASSIGN_OR_RETURN(s.ws, OpenWorkspace(false));
  ASSIGN_OR_RETURN(s.db, metadata::SqliteStore::Open(s.ws.MetadataDbPath()));
  ASSIGN_OR_RETURN(s.objects, store::ObjectStore::Open(s.ws));
  return s;
}

StatusOr<std::unique_ptr<metadata::DeploymentStore>> OpenDeploymentStore(OpenStores& stores) {
  auto* sqlite = dynamic_cast<metadata::SqliteStore*>(stores.db.get());
  if (sqlite == nullptr) return InternalError("the deployment store needs the SQLite metadata store");
  return std::unique_ptr<metadata::DeploymentStore>(metadata::SqliteDeploymentStore::Sharing(*sqlite));
}

}  // namespace mlpipe::cli
