// PgStore: opening, runs and executions.
#include "mlpipe/metadata/pg_store.h"

#include <algorithm>

#include <fmt/format.h>

namespace mlpipe::metadata {
namespace {

constexpr const char* kPgRunColumns =
    "id, pipeline, spec_path, status, params_json, started_ns, ended_ns, host, pid, exit_reason, reuses_run, "
    "triggered_by";
constexpr const char* kPgExecutionColumns =
    "e.id, e.run_id, e.step, e.status, e.attempt, e.exit_code, e.started_ns, e.ended_ns, e.wall_ns, e.cpu_ns, "
    "e.peak_rss_bytes, e.cache_key, e.key_record, e.reason, e.stdout_log, e.stderr_log, e.reused_from";
constexpr int kPgExecutionColumnCount = 17;
constexpr const char* kPgEventColumns = "id, execution_id, ref, kind, name, version_ref";

StatusOr<Run> PgReadRun(const PgResult& r, int i) {
  Run run;
  run.id = r.Int(i, 0);
  run.pipeline = r.Text(i, 1);
  run.spec_path = r.Text(i, 2);
  ASSIGN_OR_RETURN(run.status, ParseRunStatus(r.Text(i, 3)));
  run.params_json = r.Text(i, 4);
  run.started_ns = r.Int(i, 5);
  run.ended_ns = r.Int(i, 6);
  run.host = r.Text(i, 7);
  run.pid = r.Int(i, 8);
  run.exit_reason = r.Text(i, 9);
  run.reuses_run = r.OptInt(i, 10);
  run.trigger = r.Text(i, 11);
  return run;
}

PgParams PgRunParams(const Run& r) {
  PgParams p;
  p.Add(r.pipeline).Add(r.spec_path).Add(ToString(r.status)).Add(r.params_json).Add(r.started_ns);
  p.Add(r.ended_ns).Add(r.host).Add(r.pid).Add(r.exit_reason).Add(r.trigger);
  return p;
}

StatusOr<Execution> PgReadExecution(const PgResult& r, int i) {
  Execution e;
  e.id = r.Int(i, 0);
  e.run_id = r.Int(i, 1);
  e.step = r.Text(i, 2);
  ASSIGN_OR_RETURN(e.status, ParseExecutionStatus(r.Text(i, 3)));
  e.attempt = static_cast<int>(r.Int(i, 4));
  if (!r.IsNull(i, 5)) e.exit_code = static_cast<int>(r.Int(i, 5));
  e.started_ns = r.Int(i, 6);
  e.ended_ns = r.Int(i, 7);
  e.wall_ns = r.Int(i, 8);
  e.cpu_ns = r.Int(i, 9);
  e.peak_rss_bytes = r.Int(i, 10);
  e.cache_key = r.Text(i, 11);
  e.key_record = r.Text(i, 12);
  e.reason = r.Text(i, 13);
  e.stdout_log = r.Text(i, 14);
  e.stderr_log = r.Text(i, 15);
  e.reused_from = r.OptInt(i, 16);
  return e;
}

PgParams PgExecutionParams(const Execution& e) {
  PgParams p;
  p.Add(e.run_id).Add(e.step).Add(ToString(e.status)).Add(e.attempt).Add(e.exit_code).Add(e.started_ns);
  p.Add(e.ended_ns).Add(e.wall_ns).Add(e.cpu_ns).Add(e.peak_rss_bytes).Add(e.cache_key).Add(e.key_record);
  p.Add(e.reason).Add(e.stdout_log).Add(e.stderr_log).Add(e.reused_from);
  return p;
}

}  // namespace

StatusOr<std::unique_ptr<PgStore>> PgStore::Open(const std::string& url, PgStoreOptions options) {
  ASSIGN_OR_RETURN(auto conn, PgConnectMigrated(url, options.schema));
  std::unique_ptr<PgStore> store(new PgStore(std::move(conn), std::move(options)));
  if (store->options_.expand_reused_runs) {
    RETURN_IF_ERROR(store->ExpandReusedRuns().status().WithContext("expanding reused runs"));
  }
  return store;
}

Status PgStore::Begin() { return session_.Begin(); }
Status PgStore::Commit() { return session_.Commit(); }
Status PgStore::Rollback() { return session_.Rollback(); }

StatusOr<int64_t> PgStore::CreateRun(const Run& run) {
  return CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, Q("INSERT INTO runs(pipeline, spec_path, status, params_json, started_ns, ended_ns, "
                                   "host, pid, exit_reason, triggered_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) "
                                   "RETURNING id",
                                   PgRunParams(run)));
    return r.Int(0, 0);
  });
}

Status PgStore::UpdateRun(const Run& run) {
  return Call([&]() -> Status {
    PgParams p = PgRunParams(run);
    ASSIGN_OR_RETURN(PgResult r, Q("UPDATE runs SET pipeline=$1, spec_path=$2, status=$3, params_json=$4, "
                                   "started_ns=$5, ended_ns=$6, host=$7, pid=$8, exit_reason=$9, triggered_by=$10 "
                                   "WHERE id=$11",
                                   p.Add(run.id)));
    if (r.affected() == 0) return NotFoundError(fmt::format("no run {}", run.id));
    return OkStatus();
  });
}

StatusOr<Run> PgStore::GetRun(int64_t id) {
  return CallFor<Run>([&]() -> StatusOr<Run> {
    ASSIGN_OR_RETURN(auto runs, QueryRuns("WHERE id=$1", PgParams().Add(id)));
    if (runs.empty()) return NotFoundError(fmt::format("no run {}", id));
    return runs[0];
  });
}

StatusOr<std::vector<Run>> PgStore::ListRuns(int limit, std::string_view pipeline) {
  return CallFor<std::vector<Run>>([&] {
    return QueryRuns("WHERE ($1 = '' OR pipeline = $1) ORDER BY id DESC LIMIT $2",
                     PgParams().Add(pipeline).Add(limit > 0 ? std::optional<int>(limit) : std::nullopt));
  });
}

StatusOr<std::vector<Run>> PgStore::QueryRuns(const std::string& sql_suffix, const PgParams& params, bool once) {
  const std::string sql = fmt::format("SELECT {} FROM runs {}", kPgRunColumns, sql_suffix);
  ASSIGN_OR_RETURN(PgResult r, once ? session_.conn().QueryOnce(sql, params) : Q(sql, params));
  std::vector<Run> out;
  for (int i = 0; i < r.rows(); ++i) {
    ASSIGN_OR_RETURN(Run run, PgReadRun(r, i));
    out.push_back(std::move(run));
  }
  return out;
}

Status PgStore::DeleteRun(int64_t id) {
  return Call([&] {
    return InTxn([&]() -> Status {
      // A run reusing this one whole needs its executions before they go.
      RETURN_IF_ERROR(ExpandReusedRunsIn().status());
      ASSIGN_OR_RETURN(PgResult r, Q("DELETE FROM runs WHERE id=$1", PgParams().Add(id)));
      if (r.affected() == 0) return NotFoundError(fmt::format("no run {}", id));
      return OkStatus();
    });
  });
}

StatusOr<int64_t> PgStore::CreateExecution(const Execution& e) {
  return CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    ASSIGN_OR_RETURN(PgResult r,
                     Q("INSERT INTO executions(run_id, step, status, attempt, exit_code, started_ns, ended_ns, "
                       "wall_ns, cpu_ns, peak_rss_bytes, cache_key, key_record, reason, stdout_log, stderr_log, "
                       "reused_from) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) RETURNING id",
                       PgExecutionParams(e)));
    return r.Int(0, 0);
  });
}

Status PgStore::UpdateExecution(const Execution& e) {
  return Call([&]() -> Status {
    PgParams p = PgExecutionParams(e);
    ASSIGN_OR_RETURN(PgResult r, Q("UPDATE executions SET run_id=$1, step=$2, status=$3, attempt=$4, "
                                   "exit_code=$5, started_ns=$6, ended_ns=$7, wall_ns=$8, cpu_ns=$9, "
                                   "peak_rss_bytes=$10, cache_key=$11, key_record=$12, reason=$13, stdout_log=$14, "
                                   "stderr_log=$15, reused_from=$16 WHERE id=$17",
                                   p.Add(e.id)));
    if (r.affected() == 0) return NotFoundError(fmt::format("no execution {}", e.id));
    return OkStatus();
  });
}

Status PgStore::SetExecutionResult(int64_t id, const ExecutionResult& res) {
  return Call([&]() -> Status {
    PgParams p;
    p.Add(ToString(res.status)).Add(res.attempt).Add(res.exit_code).Add(res.ended_ns).Add(res.wall_ns);
    p.Add(res.cpu_ns).Add(res.peak_rss_bytes).Add(res.stdout_log).Add(res.stderr_log).Add(id);
    ASSIGN_OR_RETURN(PgResult r, Q("UPDATE executions SET status=$1, attempt=$2, exit_code=$3, ended_ns=$4, "
                                   "wall_ns=$5, cpu_ns=$6, peak_rss_bytes=$7, stdout_log=$8, stderr_log=$9 "
                                   "WHERE id=$10",
                                   p));
    if (r.affected() == 0) return NotFoundError(fmt::format("no execution {}", id));
    return OkStatus();
  });
}

StatusOr<std::vector<Execution>> PgStore::QueryExecutions(const std::string& sql_suffix, const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r,
                   Q(fmt::format("SELECT {} FROM executions e {}", kPgExecutionColumns, sql_suffix), params));
  std::vector<Execution> out;
  for (int i = 0; i < r.rows(); ++i) {
    ASSIGN_OR_RETURN(Execution e, PgReadExecution(r, i));
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<std::vector<Event>> PgStore::QueryEvents(const std::string& sql_suffix, const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r, Q(fmt::format("SELECT {} FROM events {}", kPgEventColumns, sql_suffix), params));
  std::vector<Event> out;
  for (int i = 0; i < r.rows(); ++i) {
    ASSIGN_OR_RETURN(EventKind kind, ParseEventKind(r.Text(i, 3)));
    out.push_back(Event{r.Int(i, 0), r.Int(i, 1), r.Text(i, 2), kind, r.Text(i, 4), r.Text(i, 5)});
  }
  return out;
}

StatusOr<Execution> PgStore::GetExecution(int64_t id) {
  return CallFor<Execution>([&]() -> StatusOr<Execution> {
    ASSIGN_OR_RETURN(auto v, QueryExecutions("WHERE e.id=$1", PgParams().Add(id)));
    if (v.empty()) return NotFoundError(fmt::format("no execution {}", id));
    return v[0];
  });
}

StatusOr<std::vector<Execution>> PgStore::ListExecutions(int64_t run_id) {
  return CallFor<std::vector<Execution>>(
      [&] { return QueryExecutions("WHERE e.run_id=$1 ORDER BY e.id", PgParams().Add(run_id)); });
}

StatusOr<Execution> PgStore::LastExecution(std::string_view pipeline, std::string_view step) {
  return CallFor<Execution>([&]() -> StatusOr<Execution> {
    ASSIGN_OR_RETURN(auto v, QueryExecutions("JOIN runs r ON r.id = e.run_id WHERE r.pipeline=$1 AND e.step=$2 AND "
                                             "e.status IN ('succeeded','failed','cached') ORDER BY e.id DESC LIMIT 1",
                                             PgParams().Add(pipeline).Add(step)));
    if (v.empty()) return NotFoundError(fmt::format("no finished execution of {}.{}", pipeline, step));
    return v[0];
  });
}

StatusOr<std::pair<int64_t, std::string>> PgStore::LastExecutionKey(std::string_view pipeline,
                                                                    std::string_view step) {
  using Key = std::pair<int64_t, std::string>;
  return CallFor<Key>([&]() -> StatusOr<Key> {
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT e.id, e.cache_key FROM executions e JOIN runs r ON r.id = e.run_id "
                                   "WHERE r.pipeline=$1 AND e.step=$2 AND e.status IN ('succeeded','failed','cached') "
                                   "ORDER BY e.id DESC LIMIT 1",
                                   PgParams().Add(pipeline).Add(step)));
    if (r.rows() == 0) return NotFoundError(fmt::format("no finished execution of {}.{}", pipeline, step));
    return Key(r.Int(0, 0), r.Text(0, 1));
  });
}

StatusOr<RecentKeys> PgStore::RecentExecutionKeys(std::string_view pipeline, int runs) {
  if (runs < 1) return InvalidArgumentError("runs must be >= 1");
  return CallFor<RecentKeys>([&]() -> StatusOr<RecentKeys> {
    RecentKeys out;
    ASSIGN_OR_RETURN(PgResult ids, Q("SELECT id FROM runs WHERE pipeline=$1 ORDER BY id DESC LIMIT $2",
                                     PgParams().Add(pipeline).Add(runs + 1)));
    out.complete = ids.rows() <= runs;
    if (ids.rows() == 0) return out;
    const int64_t oldest = ids.Int(std::min(ids.rows(), runs) - 1, 0);
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT e.id, e.step, e.cache_key FROM executions e WHERE e.run_id IN "
                                   "(SELECT id FROM runs WHERE pipeline=$1 AND id>=$2) "
                                   "AND e.status IN ('succeeded','failed','cached') ORDER BY e.id DESC",
                                   PgParams().Add(pipeline).Add(oldest)));
    for (int i = 0; i < r.rows(); ++i) out.keys.push_back(ExecutionKey{r.Int(i, 0), r.Text(i, 1), r.Text(i, 2)});
    return out;
  });
}

StatusOr<std::map<std::string, CacheHit>> PgStore::NewestCacheHits(const std::vector<std::string>& keys) {
  using Hits = std::map<std::string, CacheHit>;
  return CallFor<Hits>([&]() -> StatusOr<Hits> {
    Hits out;
    if (keys.empty()) return out;
    // One query for every key's newest succeeded entry, one for their outputs.
    ASSIGN_OR_RETURN(PgResult r,
                     Q(fmt::format("SELECT DISTINCT ON (c.cache_key) {}, c.cache_key FROM cache_entries c "
                                   "JOIN executions e ON e.id = c.execution_id WHERE c.cache_key = ANY($1::text[]) "
                                   "AND e.status = 'succeeded' ORDER BY c.cache_key, c.id DESC",
                                   kPgExecutionColumns),
                       PgParams().AddArray(keys)));
    std::map<int64_t, std::vector<CacheHit*>> by_execution;
    for (int i = 0; i < r.rows(); ++i) {
      ASSIGN_OR_RETURN(Execution e, PgReadExecution(r, i));
      CacheHit& hit = out[r.Text(i, kPgExecutionColumnCount)];
      hit.execution = std::move(e);
      by_execution[hit.execution.id].push_back(&hit);
    }
    if (by_execution.empty()) return out;
    std::vector<int64_t> ids;
    for (const auto& [id, _] : by_execution) ids.push_back(id);
    ASSIGN_OR_RETURN(auto events, QueryEvents("WHERE execution_id = ANY($1::bigint[]) AND kind='output' ORDER BY id",
                                              PgParams().AddArray(ids)));
    for (Event& ev : events) {
      for (CacheHit* hit : by_execution[ev.execution_id]) hit->outputs.push_back(ev);
    }
    return out;
  });
}

}  // namespace mlpipe::metadata
