// PgStore: whole-run reuse (reused runs and their expansion, run stamps) and
// a page of runs for a paginated list.
#include <cstdint>
#include <variant>

#include <fmt/format.h>

#include "mlpipe/metadata/pg_store.h"
#include "mlpipe/metadata/run_condition_sql.h"

namespace mlpipe::metadata {

StatusOr<int64_t> PgStore::CreateReusedRun(const Run& run, int64_t reused) {
  return CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    int64_t id = 0;
    RETURN_IF_ERROR(InTxn([&]() -> Status {
      PgParams p;
      p.Add(ToString(run.status)).Add(run.started_ns).Add(run.ended_ns).Add(run.host).Add(run.pid);
      p.Add(run.exit_reason).Add(run.trigger).Add(reused);
      ASSIGN_OR_RETURN(PgResult r,
                       Q("INSERT INTO runs(pipeline, spec_path, status, params_json, started_ns, ended_ns, host, pid, "
                         "exit_reason, reuses_run, expanded, triggered_by) SELECT pipeline, spec_path, $1::text, "
                         "params_json, $2::bigint, $3::bigint, $4::text, $5::bigint, $6::text, id, FALSE, $7::text "
                         "FROM runs WHERE id = $8 RETURNING id",
                         p));
      if (r.rows() == 0) return NotFoundError(fmt::format("no run {}", reused));
      id = r.Int(0, 0);
      return Q("INSERT INTO params(run_id, execution_id, name, value) SELECT $1::bigint, NULL, name, value FROM params "
               "WHERE run_id = $2 AND execution_id IS NULL ORDER BY id",
               PgParams().Add(id).Add(reused))
          .status();
    }));
    return id;
  });
}

StatusOr<int> PgStore::ExpandReusedRuns() {
  return CallFor<int>([&]() -> StatusOr<int> {
    // Usually there is nothing to do: find out without a transaction.
    ASSIGN_OR_RETURN(PgResult any, Q("SELECT EXISTS (SELECT 1 FROM runs WHERE NOT expanded)"));
    if (any.Text(0, 0) != "t") return 0;
    int expanded = 0;
    RETURN_IF_ERROR(InTxn([&]() -> Status {
      ASSIGN_OR_RETURN(expanded, ExpandReusedRunsIn());
      return OkStatus();
    }));
    return expanded;
  });
}

StatusOr<int> PgStore::ExpandReusedRunsIn() {
  // FOR UPDATE: two processes expanding at once take turns per run, and the
  // second re-checks `NOT expanded` on the row the first committed, so no
  // run is expanded twice.
  ASSIGN_OR_RETURN(PgResult pending, Q("SELECT id, COALESCE(reuses_run, 0), started_ns FROM runs WHERE NOT expanded "
                                       "ORDER BY id FOR UPDATE"));
  for (int i = 0; i < pending.rows(); ++i) {
    const int64_t run = pending.Int(i, 0), reused = pending.Int(i, 1);
    if (reused != 0) RETURN_IF_ERROR(ExpandReusedRun(run, reused, pending.Int(i, 2)));
    RETURN_IF_ERROR(Q("UPDATE runs SET expanded = TRUE WHERE id = $1", PgParams().Add(run)).status());
  }
  return pending.rows();
}

Status PgStore::ExpandReusedRun(int64_t run, int64_t reused, int64_t at_ns) {
  // The executions whose results the reused run stands on: a succeeded one
  // produced its outputs itself; a cached one points at the producer.
  ASSIGN_OR_RETURN(PgResult sources,
                   Q("SELECT e.id, e.step, e.cache_key, "
                     "CASE WHEN e.status = 'cached' AND e.reused_from IS NOT NULL THEN e.reused_from ELSE e.id END, "
                     "COALESCE(p.run_id, e.run_id) FROM executions e LEFT JOIN executions p "
                     "ON e.status = 'cached' AND p.id = e.reused_from "
                     "WHERE e.run_id = $1 AND e.status IN ('succeeded', 'cached') ORDER BY e.id",
                     PgParams().Add(reused)));
  for (int i = 0; i < sources.rows(); ++i) {
    PgParams p;
    p.Add(run).Add(sources.Text(i, 1)).Add(at_ns).Add(at_ns).Add(sources.Text(i, 2));
    p.Add(fmt::format("same key as run {}", sources.Int(i, 4))).Add(sources.Int(i, 3));
    ASSIGN_OR_RETURN(PgResult ins, Q("INSERT INTO executions(run_id, step, status, attempt, started_ns, ended_ns, "
                                     "cache_key, reason, reused_from) VALUES ($1, $2, 'cached', 0, $3, $4, $5, $6, $7) "
                                     "RETURNING id",
                                     p));
    RETURN_IF_ERROR(Q("INSERT INTO events(execution_id, ref, kind, name, version_ref) "
                      "SELECT $1::bigint, ref, kind, name, version_ref FROM events WHERE execution_id = $2 ORDER BY id",
                      PgParams().Add(ins.Int(0, 0)).Add(sources.Int(i, 0)))
                        .status());
  }
  return OkStatus();
}

Status PgStore::PutRunStamp(const RunStamp& stamp) {
  return Call([&] {
    PgParams p;
    p.Add(stamp.invocation).Add(stamp.pipeline).Add(stamp.run_id).Add(stamp.files).Add(stamp.outputs);
    p.Add(stamp.steps).Add(stamp.absent).Add(stamp.created_ns);
    return Q("INSERT INTO run_stamps(invocation, pipeline, run_id, files, outputs, steps, absent, created_ns) "
             "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (invocation) DO UPDATE SET pipeline=excluded.pipeline, "
             "run_id=excluded.run_id, files=excluded.files, outputs=excluded.outputs, steps=excluded.steps, "
             "absent=excluded.absent, created_ns=excluded.created_ns",
             p)
        .status();
  });
}

StatusOr<std::optional<RunStamp>> PgStore::GetRunStamp(std::string_view invocation) {
  using Stamp = std::optional<RunStamp>;
  return CallFor<Stamp>([&]() -> StatusOr<Stamp> {
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT invocation, pipeline, run_id, files, outputs, steps, absent, created_ns "
                                   "FROM run_stamps WHERE invocation = $1",
                                   PgParams().Add(invocation)));
    if (r.rows() == 0) return Stamp();
    return Stamp(RunStamp{r.Text(0, 0), r.Text(0, 1), r.Int(0, 2), r.Text(0, 3), r.Text(0, 4), r.Text(0, 5),
                          r.Text(0, 6), r.Int(0, 7)});
  });
}

// Newest first by id (keyset pagination); only the filters asked for are in
// the statement, so the planner sees plain conditions.
StatusOr<std::vector<Run>> PgStore::ListRunsPage(const RunPage& query) {
  PgParams p;
  p.Add(query.before_id.value_or(INT64_MAX));
  std::string sql = "WHERE id < $1";
  if (!query.pipeline.empty()) {
    p.Add(query.pipeline);
    sql += fmt::format(" AND pipeline = ${}", p.size());
  }
  if (!query.trigger.empty()) {
    p.Add(query.trigger);
    sql += fmt::format(" AND (triggered_by = ${0} OR starts_with(triggered_by, ${0} || ' ')", p.size());
    sql += query.trigger == "manual" ? " OR triggered_by = '')" : ")";
  }
  if (!query.statuses.empty()) {
    std::vector<std::string> statuses;
    for (RunStatus s : query.statuses) statuses.emplace_back(ToString(s));
    p.AddArray(statuses);
    sql += fmt::format(" AND status = ANY(${}::text[])", p.size());
  }
  sql += RunConditionsSql(query.conditions, SqlDialect::kPostgres, [&](const SqlValue& v) {
    std::visit([&](const auto& x) { p.Add(x); }, v);
    return fmt::format("${}", p.size());
  });
  p.Add(query.limit > 0 ? std::optional<int>(query.limit) : std::nullopt);
  sql += fmt::format(" ORDER BY id DESC LIMIT ${}", p.size());
  // A filter's statement is not kept: its shapes are the client's to choose.
  return CallFor<std::vector<Run>>([&] { return QueryRuns(sql, p, !query.conditions.empty()); });
}

}  // namespace mlpipe::metadata
