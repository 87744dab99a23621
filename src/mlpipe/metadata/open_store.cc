#include "mlpipe/metadata/open_store.h"

#include "mlpipe/metadata/pg_conn.h"
#include "mlpipe/metadata/pg_control_store.h"
#include "mlpipe/metadata/pg_deployment_store.h"
#include "mlpipe/metadata/pg_store.h"
#include "mlpipe/metadata/sqlite_control_store.h"
#include "mlpipe/metadata/sqlite_deployment_store.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {
namespace {

// `Pg` on a PostgreSQL URL, else `Sqlite` on a file, as a `Base`.
template <typename Base, typename Pg, typename Sqlite>
StatusOr<std::unique_ptr<Base>> OpenStoreAt(const std::string& location) {
  if (IsPostgresUrl(location)) {
    ASSIGN_OR_RETURN(auto store, Pg::Open(location));
    return std::unique_ptr<Base>(std::move(store));
  }
  ASSIGN_OR_RETURN(auto store, Sqlite::Open(location));
  return std::unique_ptr<Base>(std::move(store));
}

}  // namespace

StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(const std::string& location) {
  return OpenStoreAt<MetadataStore, PgStore, SqliteStore>(location);
}

StatusOr<std::unique_ptr<ControlStore>> OpenControlStore(const std::string& location) {
  return OpenStoreAt<ControlStore, PgControlStore, SqliteControlStore>(location);
}

StatusOr<std::unique_ptr<DeploymentStore>> OpenDeploymentStore(const std::string& location) {
  return OpenStoreAt<DeploymentStore, PgDeploymentStore, SqliteDeploymentStore>(location);
}

StatusOr<std::unique_ptr<DeploymentStore>> SharingDeploymentStore(MetadataStore& store) {
  if (auto* sqlite = dynamic_cast<SqliteStore*>(&store)) {
    return std::unique_ptr<DeploymentStore>(SqliteDeploymentStore::Sharing(*sqlite));
  }
  if (auto* pg = dynamic_cast<PgStore*>(&store)) {
    return std::unique_ptr<DeploymentStore>(PgDeploymentStore::Sharing(*pg));
  }
  return FailedPreconditionError("deployments are kept by the SQLite and PostgreSQL metadata stores only");
}

}  // namespace mlpipe::metadata
