// The PostgreSQL metadata schema, kept as data like the SQLite one
// (migrations.h): an ordered list of versioned SQL steps, the version applied
// recorded in `schema_version`. To change the schema, append a migration;
// never edit one that has shipped. The tables mirror SQLite's (v1 here is
// SQLite's v1-v5 plus runs.triggered_by: what MetadataStore uses; v2 is
// SQLite's v6 and v8, the control plane's tables; v3 is SQLite's v7, the
// deployments), with PostgreSQL types: BIGINT identities, BOOLEAN flags,
// DOUBLE PRECISION metrics, and COLLATE "C" on every text that is sorted or
// compared, so names and refs order byte-wise as in SQLite whatever the
// database's locale.
#pragma once

#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/migrations.h"

namespace mlpipe::metadata {

class PgConn;

// All migrations, in version order (1, 2, ...).
const std::vector<Migration>& PgMigrations();
// The version a fully migrated database has.
int LatestPgSchemaVersion();

// The version recorded in the connection's schema (0 for an empty one).
StatusOr<int> PgSchemaVersion(PgConn& conn);

// Applies every migration above the recorded version in one transaction that
// first takes a transaction-level advisory lock (kPgMigrationLock): two
// processes opening a fresh database at once apply each step once, the
// second waiting for the first and then finding nothing to do. DDL is
// transactional in PostgreSQL, so a failed step leaves the schema as it was.
// FailedPrecondition if the schema is newer than this program knows.
Status PgMigrate(PgConn& conn);

// The advisory lock key of migrations (two int4 halves: "mlpm", 0).
inline constexpr int kPgMigrationLock = 0x6d6c706d;

}  // namespace mlpipe::metadata
