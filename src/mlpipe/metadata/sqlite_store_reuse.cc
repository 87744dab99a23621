// SqliteStore: whole-run reuse (reused runs and their expansion, run stamps).
#include <fmt/format.h>

#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {

StatusOr<int64_t> SqliteStore::CreateReusedRun(const Run& run, int64_t reused) {
  int64_t id = 0;
  RETURN_IF_ERROR(InWriteTxn([&]() -> Status {
    ASSIGN_OR_RETURN(Statement * st,
                     db_->Prepare("INSERT INTO runs(pipeline, spec_path, status, params_json, started_ns, ended_ns, "
                                  "host, pid, exit_reason, reuses_run, expanded, triggered_by) "
                                  "SELECT pipeline, spec_path, ?, params_json, ?, ?, ?, ?, ?, id, 0, ? FROM runs "
                                  "WHERE id = ?"));
    st->Bind(1, ToString(run.status)).Bind(2, run.started_ns).Bind(3, run.ended_ns).Bind(4, run.host);
    st->Bind(5, run.pid).Bind(6, run.exit_reason).Bind(7, run.trigger).Bind(8, reused);
    RETURN_IF_ERROR(st->Run());
    if (db_->Changes() == 0) return NotFoundError(fmt::format("no run {}", reused));
    id = db_->LastInsertId();
    ASSIGN_OR_RETURN(Statement * params,
                     db_->Prepare("INSERT INTO params(run_id, execution_id, name, value) "
                                  "SELECT ?, NULL, name, value FROM params WHERE run_id = ? AND execution_id IS NULL "
                                  "ORDER BY id"));
    return params->Bind(1, id).Bind(2, reused).Run();
  }));
  return id;
}

StatusOr<int> SqliteStore::ExpandReusedRuns() {
  // Usually there is nothing to do: find out without taking the write lock.
  ASSIGN_OR_RETURN(Statement * any, db_->Prepare("SELECT EXISTS (SELECT 1 FROM runs WHERE expanded = 0)"));
  ASSIGN_OR_RETURN(bool row, any->Step());
  const bool some = row && any->Int(0) != 0;
  any->Reset();
  if (!some) return 0;
  int expanded = 0;
  RETURN_IF_ERROR(InWriteTxn([&]() -> Status {
    struct Pending {
      int64_t run, reused, at_ns;
    };
    std::vector<Pending> pending;
    ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT id, reuses_run, started_ns FROM runs WHERE expanded = 0 "
                                                  "ORDER BY id"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      pending.push_back({st->Int(0), st->OptInt(1).value_or(0), st->Int(2)});
    }
    for (const Pending& p : pending) {
      if (p.reused != 0) RETURN_IF_ERROR(ExpandReusedRun(p.run, p.reused, p.at_ns));
      ASSIGN_OR_RETURN(Statement * done, db_->Prepare("UPDATE runs SET expanded = 1 WHERE id = ?"));
      RETURN_IF_ERROR(done->Bind(1, p.run).Run());
      ++expanded;
    }
    return OkStatus();
  }));
  return expanded;
}

Status SqliteStore::ExpandReusedRun(int64_t run, int64_t reused, int64_t at_ns) {
  // The executions whose results the reused run stands on: a succeeded one
  // produced its outputs itself; a cached one points at the producer.
  struct Source {
    int64_t id;
    std::string step, cache_key;
    int64_t producer, producer_run;
  };
  std::vector<Source> sources;
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT e.id, e.step, e.cache_key, "
                                "CASE WHEN e.status = 'cached' AND e.reused_from IS NOT NULL THEN e.reused_from "
                                "ELSE e.id END, COALESCE(p.run_id, e.run_id) "
                                "FROM executions e LEFT JOIN executions p "
                                "ON e.status = 'cached' AND p.id = e.reused_from "
                                "WHERE e.run_id = ? AND e.status IN ('succeeded', 'cached') ORDER BY e.id"));
  st->Bind(1, reused);
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    sources.push_back({st->Int(0), st->Text(1), st->Text(2), st->Int(3), st->Int(4)});
  }
  for (const Source& s : sources) {
    ASSIGN_OR_RETURN(Statement * ins,
                     db_->Prepare("INSERT INTO executions(run_id, step, status, attempt, started_ns, ended_ns, "
                                  "cache_key, reason, reused_from) VALUES (?, ?, 'cached', 0, ?, ?, ?, ?, ?)"));
    ins->Bind(1, run).Bind(2, s.step).Bind(3, at_ns).Bind(4, at_ns).Bind(5, s.cache_key);
    ins->Bind(6, fmt::format("same key as run {}", s.producer_run)).Bind(7, s.producer);
    RETURN_IF_ERROR(ins->Run());
    const int64_t id = db_->LastInsertId();
    ASSIGN_OR_RETURN(Statement * events,
                     db_->Prepare("INSERT INTO events(execution_id, ref, kind, name, version_ref) "
                                  "SELECT ?, ref, kind, name, version_ref FROM events WHERE execution_id = ? "
                                  "ORDER BY id"));
    RETURN_IF_ERROR(events->Bind(1, id).Bind(2, s.id).Run());
  }
  return OkStatus();
}

Status SqliteStore::PutRunStamp(const RunStamp& stamp) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT OR REPLACE INTO run_stamps(invocation, pipeline, run_id, files, outputs, "
                                "steps, absent, created_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  st->Bind(1, stamp.invocation).Bind(2, stamp.pipeline).Bind(3, stamp.run_id).Bind(4, stamp.files);
  st->Bind(5, stamp.outputs).Bind(6, stamp.steps).Bind(7, stamp.absent).Bind(8, stamp.created_ns);
  return st->Run();
}

StatusOr<std::optional<RunStamp>> SqliteStore::GetRunStamp(std::string_view invocation) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT invocation, pipeline, run_id, files, outputs, steps, "
                                                "absent, created_ns FROM run_stamps WHERE invocation = ?"));
  st->Bind(1, invocation);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::optional<RunStamp>();
  RunStamp s{st->Text(0), st->Text(1), st->Int(2), st->Text(3), st->Text(4), st->Text(5), st->Text(6), st->Int(7)};
  st->Reset();
  return std::optional<RunStamp>(std::move(s));
}

}  // namespace mlpipe::metadata
