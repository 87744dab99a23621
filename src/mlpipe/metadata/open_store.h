// OpenMetadataStore: the metadata store a location names.
#pragma once

#include <memory>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"

namespace mlpipe::metadata {

// `postgresql://...` or `postgres://...`: a PostgreSQL database; anything
// else: a SQLite file path.
StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(const std::string& location);

}  // namespace mlpipe::metadata
