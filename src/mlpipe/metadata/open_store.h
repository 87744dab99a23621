// Opens the stores a metadata location names: a PostgreSQL URL
// (postgresql://USER:PASSWORD@HOST:PORT/DB?..., or postgres://) opens the
// PostgreSQL ones (PgStore, PgControlStore, PgDeploymentStore); anything
// else is the path of a SQLite file (SqliteStore, SqliteControlStore,
// SqliteDeploymentStore). The control plane's tables and the deployments
// live beside the runs and the registry, in the same database. Errors name
// the location with its password redacted (RedactUrl).
#pragma once

#include <memory>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/control_store.h"
#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/metadata/metadata_store.h"

namespace mlpipe::metadata {

StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(const std::string& location);
// Each a connection of its own (one per thread).
StatusOr<std::unique_ptr<ControlStore>> OpenControlStore(const std::string& location);
StatusOr<std::unique_ptr<DeploymentStore>> OpenDeploymentStore(const std::string& location);
// A DeploymentStore on `store`'s connection, joining its transactions, so a
// deployment revision, its decision record and the registry's alias moves
// commit as one (SqliteDeploymentStore::Sharing, PgDeploymentStore::Sharing).
// `store` must outlive the result. FailedPrecondition for another kind of store.
StatusOr<std::unique_ptr<DeploymentStore>> SharingDeploymentStore(MetadataStore& store);

}  // namespace mlpipe::metadata
