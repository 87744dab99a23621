// Opens the metadata store a location names: a PostgreSQL URL
// (postgresql://USER:PASSWORD@HOST:PORT/DB?..., or postgres://) opens a
// PgStore; anything else is the path of a SQLite file (SqliteStore). Errors
// name the location with its password redacted (RedactUrl).
#pragma once

#include <memory>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"

namespace mlpipe::metadata {

StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(const std::string& location);

}  // namespace mlpipe::metadata
