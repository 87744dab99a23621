// SqliteStore: objects that left the object store (gc, quarantine),
// dropping the cache entries that would reuse a damaged one, and the
// database's own consistency check.
#include <fmt/format.h>

#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {

Status SqliteStore::RecordObjectRemoval(const ObjectRemoval& removal) {
  if (removal.reason != "gc" && removal.reason != "quarantined" && removal.reason != "not-stored") {
    return InvalidArgumentError(fmt::format("unknown removal reason '{}'", removal.reason));
  }
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT INTO object_removals(ref, reason, detail, removed_ns) "
                                "VALUES (?, ?, ?, ?)"));
  return st->Bind(1, removal.ref)
      .Bind(2, removal.reason)
      .Bind(3, removal.detail)
      .Bind(4, removal.removed_ns)
      .Run();
}

StatusOr<std::optional<ObjectRemoval>> SqliteStore::LastObjectRemoval(std::string_view ref) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT ref, reason, detail, removed_ns FROM object_removals "
                                                "WHERE ref = ? ORDER BY id DESC LIMIT 1"));
  st->Bind(1, ref);
  ASSIGN_OR_RETURN(bool row, st->Step());
  std::optional<ObjectRemoval> out;
  if (row) out = ObjectRemoval{st->Text(0), st->Text(1), st->Text(2), st->Int(3)};
  st->Reset();
  return out;
}

StatusOr<std::vector<std::string>> SqliteStore::RemovedRefs() {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT DISTINCT ref FROM object_removals ORDER BY 1"));
  return FirstColumnTexts(*st);
}

StatusOr<std::vector<std::string>> SqliteStore::CheckIntegrity() {
  // quick_check: every page, record and index entry well formed, without
  // matching each index against its table (integrity_check's slow part).
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("PRAGMA quick_check"));
  ASSIGN_OR_RETURN(std::vector<std::string> lines, FirstColumnTexts(*st));
  if (lines.size() == 1 && lines[0] == "ok") lines.clear();
  return lines;
}

StatusOr<int64_t> SqliteStore::HighestRunIdEver() {
  // runs.id is AUTOINCREMENT: sqlite_sequence keeps the highest id after the
  // rows are deleted (and has no row for runs before the first).
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT MAX(seq) FROM (SELECT seq FROM sqlite_sequence WHERE name = 'runs' "
                                "UNION ALL SELECT MAX(id) FROM runs)"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  const int64_t highest = row ? st->Int(0) : 0;
  st->Reset();
  return highest;
}

StatusOr<std::vector<int64_t>> SqliteStore::DropCacheEntriesFor(std::string_view ref) {
  std::vector<int64_t> executions;
  RETURN_IF_ERROR(InWriteTxn([&]() -> Status {
    ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT DISTINCT c.execution_id FROM cache_entries c "
                                                  "JOIN events ev ON ev.execution_id = c.execution_id "
                                                  "WHERE ev.ref = ? AND ev.kind = 'output' ORDER BY 1"));
    st->Bind(1, ref);
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      executions.push_back(st->Int(0));
    }
    for (int64_t id : executions) {
      ASSIGN_OR_RETURN(Statement * del, db_->Prepare("DELETE FROM cache_entries WHERE execution_id = ?"));
      RETURN_IF_ERROR(del->Bind(1, id).Run());
    }
    // A stamp lists the refs a no-op rerun needs (engine/run_stamp.h): refs
    // are 71 characters of [a-z0-9:], so a substring match is exact.
    ASSIGN_OR_RETURN(Statement * stamps, db_->Prepare("DELETE FROM run_stamps WHERE instr(outputs, ?) > 0"));
    return stamps->Bind(1, ref).Run();
  }));
  return executions;
}

}  // namespace mlpipe::metadata
