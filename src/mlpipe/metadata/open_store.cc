#include "mlpipe/metadata/open_store.h"

#include "mlpipe/metadata/pg_conn.h"
#include "mlpipe/metadata/pg_store.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {

StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(const std::string& location) {
  if (IsPostgresUrl(location)) {
    ASSIGN_OR_RETURN(auto store, PgStore::Open(location));
    return std::unique_ptr<MetadataStore>(std::move(store));
  }
  ASSIGN_OR_RETURN(auto store, SqliteStore::Open(location));
  return std::unique_ptr<MetadataStore>(std::move(store));
}

}  // namespace mlpipe::metadata
