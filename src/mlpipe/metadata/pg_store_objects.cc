// PgStore: objects that left the object store (gc, quarantine), dropping
// the cache entries that would reuse a damaged one, and the database's own
// consistency check.
#include <algorithm>

#include <fmt/format.h>

#include "mlpipe/metadata/pg_migrations.h"
#include "mlpipe/metadata/pg_store.h"

namespace mlpipe::metadata {
namespace {

// The tables the store reads and writes (CheckIntegrity looks for each).
constexpr const char* kPgTables[] = {
    "runs",           "executions",        "artifacts",         "artifact_versions", "events",
    "params",         "metrics",           "cache_entries",     "run_stamps",        "object_removals",
    "registered_models", "model_versions", "model_aliases",     "model_alias_history", "registry_generation",
    "trigger_fires",  "trigger_state",     "series",            "server_events",     "deployments",
    "deployment_revisions", "rollouts",    "decisions",
};

}  // namespace

Status PgStore::RecordObjectRemoval(const ObjectRemoval& removal) {
  if (removal.reason != "gc" && removal.reason != "quarantined" && removal.reason != "not-stored") {
    return InvalidArgumentError(fmt::format("unknown removal reason '{}'", removal.reason));
  }
  return Call([&] {
    return Q("INSERT INTO object_removals(ref, reason, detail, removed_ns) VALUES ($1, $2, $3, $4)",
             PgParams().Add(removal.ref).Add(removal.reason).Add(removal.detail).Add(removal.removed_ns))
        .status();
  });
}

StatusOr<std::optional<ObjectRemoval>> PgStore::LastObjectRemoval(std::string_view ref) {
  using Removal = std::optional<ObjectRemoval>;
  return CallFor<Removal>([&]() -> StatusOr<Removal> {
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT ref, reason, detail, removed_ns FROM object_removals WHERE ref = $1 "
                                   "ORDER BY id DESC LIMIT 1",
                                   PgParams().Add(ref)));
    if (r.rows() == 0) return Removal();
    return Removal(ObjectRemoval{r.Text(0, 0), r.Text(0, 1), r.Text(0, 2), r.Int(0, 3)});
  });
}

StatusOr<std::vector<std::string>> PgStore::RemovedRefs() {
  return CallFor<std::vector<std::string>>([&]() -> StatusOr<std::vector<std::string>> {
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT DISTINCT ref FROM object_removals ORDER BY 1"));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.Text(i, 0));
    return out;
  });
}

// PostgreSQL checks pages and indexes itself (checksums, WAL) and has no
// cheap equivalent of SQLite's quick_check without the amcheck extension (a
// superuser installs it). What this store can see from its own connection
// is whether its schema is what this program expects: the schema version,
// every table, and no index left invalid (by a failed CREATE INDEX
// CONCURRENTLY). One line per problem.
StatusOr<std::vector<std::string>> PgStore::CheckIntegrity() {
  return CallFor<std::vector<std::string>>([&]() -> StatusOr<std::vector<std::string>> {
    std::vector<std::string> lines;
    ASSIGN_OR_RETURN(int version, PgSchemaVersion(session_.conn()));
    if (version != LatestPgSchemaVersion()) {
      lines.push_back(fmt::format("schema version is v{}, expected v{}", version, LatestPgSchemaVersion()));
    }
    for (const char* table : kPgTables) {
      ASSIGN_OR_RETURN(PgResult r, Q("SELECT to_regclass($1) IS NOT NULL", PgParams().Add(table)));
      if (r.Text(0, 0) != "t") lines.push_back(fmt::format("table {} is missing", table));
    }
    ASSIGN_OR_RETURN(PgResult invalid,
                     Q("SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                       "WHERE c.relnamespace = current_schema()::regnamespace AND NOT i.indisvalid ORDER BY 1"));
    for (int i = 0; i < invalid.rows(); ++i) lines.push_back(fmt::format("index {} is invalid", invalid.Text(i, 0)));
    return lines;
  });
}

// The highest value the runs' id sequence ever handed out (a sequence never
// goes back: deleted runs, and runs whose transaction rolled back, count),
// or the highest id present if that is more (ids given explicitly).
StatusOr<int64_t> PgStore::HighestRunIdEver() {
  return CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT GREATEST(COALESCE((SELECT last_value FROM pg_sequences WHERE "
                                   "schemaname = current_schema() AND sequencename = 'runs_id_seq'), 0), "
                                   "COALESCE((SELECT MAX(id) FROM runs), 0))"));
    return r.Int(0, 0);
  });
}

StatusOr<std::vector<int64_t>> PgStore::DropCacheEntriesFor(std::string_view ref) {
  using Ids = std::vector<int64_t>;
  return CallFor<Ids>([&]() -> StatusOr<Ids> {
    Ids executions;
    RETURN_IF_ERROR(InTxn([&]() -> Status {
      ASSIGN_OR_RETURN(PgResult r, Q("DELETE FROM cache_entries c WHERE c.execution_id IN (SELECT ev.execution_id "
                                     "FROM events ev WHERE ev.ref = $1 AND ev.kind = 'output') "
                                     "RETURNING c.execution_id",
                                     PgParams().Add(ref)));
      for (int i = 0; i < r.rows(); ++i) executions.push_back(r.Int(i, 0));
      std::sort(executions.begin(), executions.end());
      executions.erase(std::unique(executions.begin(), executions.end()), executions.end());
      // A stamp lists the refs a no-op rerun needs (engine/run_stamp.h): refs
      // are 71 characters of [a-z0-9:], so a substring match is exact.
      return Q("DELETE FROM run_stamps WHERE strpos(outputs, $1) > 0", PgParams().Add(ref)).status();
    }));
    return executions;
  });
}

}  // namespace mlpipe::metadata
