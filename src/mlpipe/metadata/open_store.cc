#include "mlpipe/metadata/open_store.h"

#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {

StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(const std::string& location) {
  if (location.starts_with("postgresql://") || location.starts_with("postgres://")) {
    return InvalidArgumentError("this mlpipe was built without the PostgreSQL metadata store");
  }
  ASSIGN_OR_RETURN(auto db, SqliteStore::Open(location));
  return std::unique_ptr<MetadataStore>(std::move(db));
}

}  // namespace mlpipe::metadata
