// The metadata schema, kept as data: an ordered list of migrations, each a
// version number and the SQL that takes the schema from version-1 to version.
// The version is recorded in `schema_version`. To change the schema, append a
// migration; never edit one that has shipped.
#pragma once

#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/sqlite_db.h"

namespace mlpipe::metadata {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;
};

// All migrations, in version order (1, 2, ...).
const std::vector<Migration>& SqliteMigrations();
// The version a fully migrated database has.
int LatestSchemaVersion();

// The version recorded in `db` (0 for a new, empty database).
StatusOr<int> SchemaVersion(SqliteDb& db);

// Applies every migration above the recorded version and up to `target`
// (default: latest), each in its own IMMEDIATE transaction that re-reads the
// version first, so concurrent openers do not apply one twice.
// FailedPrecondition if the database is newer than this program knows.
Status Migrate(SqliteDb& db, int target = -1);

}  // namespace mlpipe::metadata
