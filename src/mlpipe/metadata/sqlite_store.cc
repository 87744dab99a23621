// SqliteStore: opening, transactions, runs and executions.
#include "mlpipe/metadata/sqlite_store.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <sqlite3.h>

#include "mlpipe/metadata/migrations.h"

namespace mlpipe::metadata {
namespace {

constexpr const char* kRunColumns =
    "id, pipeline, spec_path, status, params_json, started_ns, ended_ns, host, pid, exit_reason, reuses_run, triggered_by";
constexpr const char* kExecutionColumns =
    "e.id, e.run_id, e.step, e.status, e.attempt, e.exit_code, e.started_ns, e.ended_ns, e.wall_ns, e.cpu_ns, "
    "e.peak_rss_bytes, e.cache_key, e.key_record, e.reason, e.stdout_log, e.stderr_log, e.reused_from";
constexpr int kExecutionColumnCount = 17;

// "?,?,?" for n parameters.
std::string Marks(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += i == 0 ? "?" : ",?";
  return s;
}

StatusOr<Run> ReadRun(Statement& st) {
  Run r;
  r.id = st.Int(0);
  r.pipeline = st.Text(1);
  r.spec_path = st.Text(2);
  ASSIGN_OR_RETURN(r.status, ParseRunStatus(st.Text(3)));
  r.params_json = st.Text(4);
  r.started_ns = st.Int(5);
  r.ended_ns = st.Int(6);
  r.host = st.Text(7);
  r.pid = st.Int(8);
  r.exit_reason = st.Text(9);
  r.reuses_run = st.OptInt(10);
  r.trigger = st.Text(11);
  return r;
}

void BindRun(Statement& st, const Run& r) {
  st.Bind(1, r.pipeline).Bind(2, r.spec_path).Bind(3, ToString(r.status)).Bind(4, r.params_json);
  st.Bind(5, r.started_ns).Bind(6, r.ended_ns).Bind(7, r.host).Bind(8, r.pid).Bind(9, r.exit_reason);
  st.Bind(10, r.trigger);
}

void BindExecution(Statement& st, const Execution& e) {
  st.Bind(1, e.run_id).Bind(2, e.step).Bind(3, ToString(e.status)).Bind(4, static_cast<int64_t>(e.attempt));
  st.Bind(5, e.exit_code).Bind(6, e.started_ns).Bind(7, e.ended_ns).Bind(8, e.wall_ns).Bind(9, e.cpu_ns);
  st.Bind(10, e.peak_rss_bytes).Bind(11, e.cache_key).Bind(12, e.key_record).Bind(13, e.reason);
  st.Bind(14, e.stdout_log).Bind(15, e.stderr_log).Bind(16, e.reused_from);
}

}  // namespace

// Shared with sqlite_store_artifacts.cc.
StatusOr<Execution> ReadExecution(Statement& st) {
  Execution e;
  e.id = st.Int(0);
  e.run_id = st.Int(1);
  e.step = st.Text(2);
  ASSIGN_OR_RETURN(e.status, ParseExecutionStatus(st.Text(3)));
  e.attempt = static_cast<int>(st.Int(4));
  if (!st.IsNull(5)) e.exit_code = static_cast<int>(st.Int(5));
  e.started_ns = st.Int(6);
  e.ended_ns = st.Int(7);
  e.wall_ns = st.Int(8);
  e.cpu_ns = st.Int(9);
  e.peak_rss_bytes = st.Int(10);
  e.cache_key = st.Text(11);
  e.key_record = st.Text(12);
  e.reason = st.Text(13);
  e.stdout_log = st.Text(14);
  e.stderr_log = st.Text(15);
  e.reused_from = st.OptInt(16);
  return e;
}

// Shared with sqlite_store_artifacts.cc: a row of SELECT kEventColumns.
extern const char* const kEventColumns;
const char* const kEventColumns = "id, execution_id, ref, kind, name, version_ref";
StatusOr<Event> ReadEvent(Statement& st) {
  ASSIGN_OR_RETURN(EventKind kind, ParseEventKind(st.Text(3)));
  return Event{st.Int(0), st.Int(1), st.Text(2), kind, st.Text(4), st.Text(5)};
}

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, SqliteStoreOptions options) {
  ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, options.busy_timeout_ms));
  // journal_mode=WAL is persistent in the file; setting it needs a moment of
  // exclusive access, which the busy timeout covers.
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL").WithContext("opening " + path));
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  // A page cache of up to 64 MiB (SQLite's default is 2 MiB) and reads
  // through mmap: a run of a 1,000-step pipeline touches more pages than 2 MiB,
  // and re-read each from the file (4,600 preads in a no-op rerun).
  RETURN_IF_ERROR(db->Exec("PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;"));
  // Sorters and the scratch tables of INSERT ... SELECT stay in memory.
  RETURN_IF_ERROR(db->Exec("PRAGMA temp_store=MEMORY;"));
  // Keep the WAL file between connections and do not checkpoint on close:
  // otherwise every short-lived `mlpipe` command recreates the WAL and pays a
  // checkpoint with two fsyncs when it exits (tens of ms). Checkpoints still
  // happen as the WAL grows (automatic at 1000 pages), and a connection that
  // leaves more than 256 pages in it empties it at close (sqlite_db.h): each
  // new process re-reads the whole WAL to rebuild its index.
  int persist_wal = 1;
  sqlite3_file_control(db->raw(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist_wal);
  sqlite3_db_config(db->raw(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  RETURN_IF_ERROR(Migrate(*db, options.schema_version).WithContext("migrating " + path));
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(db)));
  if (options.expand_reused_runs && (options.schema_version < 0 || options.schema_version >= 4)) {
    RETURN_IF_ERROR(store->ExpandReusedRuns().status().WithContext("expanding reused runs in " + path));
  }
  return store;
}

StatusOr<int> SqliteStore::schema_version() { return SchemaVersion(*db_); }

Status SqliteStore::Begin() {
  if (txn_depth_ == 0) {
    RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
    txn_aborted_ = false;
  }
  ++txn_depth_;
  return OkStatus();
}

Status SqliteStore::Commit() {
  if (txn_depth_ == 0) {
    if (txn_aborted_) {
      txn_aborted_ = false;
      return FailedPreconditionError("transaction was rolled back by a nested Rollback");
    }
    return FailedPreconditionError("Commit without Begin");
  }
  if (--txn_depth_ > 0) return OkStatus();
  Status s = db_->Exec("COMMIT");
  if (!s.ok()) (void)db_->Exec("ROLLBACK");
  return s;
}

Status SqliteStore::Rollback() {
  if (txn_depth_ == 0) return OkStatus();
  bool nested = txn_depth_ > 1;
  txn_depth_ = 0;
  txn_aborted_ = nested;
  return db_->Exec("ROLLBACK");
}

Status SqliteStore::InWriteTxn(const std::function<Status()>& fn) {
  if (txn_depth_ > 0) return fn();
  RETURN_IF_ERROR(Begin());
  Status s = fn();
  if (!s.ok()) {
    (void)Rollback();
    return s;
  }
  return Commit();
}

StatusOr<int64_t> SqliteStore::CreateRun(const Run& run) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT INTO runs(pipeline, spec_path, status, params_json, started_ns, ended_ns, "
                                "host, pid, exit_reason, triggered_by) VALUES (?,?,?,?,?,?,?,?,?,?)"));
  BindRun(*st, run);
  RETURN_IF_ERROR(st->Run());
  return db_->LastInsertId();
}

Status SqliteStore::UpdateRun(const Run& run) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("UPDATE runs SET pipeline=?, spec_path=?, status=?, params_json=?, started_ns=?, "
                                "ended_ns=?, host=?, pid=?, exit_reason=?, triggered_by=? WHERE id=?"));
  BindRun(*st, run);
  st->Bind(11, run.id);
  RETURN_IF_ERROR(st->Run());
  if (db_->Changes() == 0) return NotFoundError(fmt::format("no run {}", run.id));
  return OkStatus();
}

StatusOr<Run> SqliteStore::GetRun(int64_t id) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare(fmt::format("SELECT {} FROM runs WHERE id=?", kRunColumns)));
  st->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return NotFoundError(fmt::format("no run {}", id));
  auto run = ReadRun(*st);
  st->Reset();
  return run;
}

StatusOr<std::vector<Run>> SqliteStore::ListRuns(int limit, std::string_view pipeline) {
  return QueryRuns("WHERE (?1 = '' OR pipeline = ?1) ORDER BY id DESC LIMIT ?2", [&](Statement& st) {
    st.Bind(1, pipeline).Bind(2, static_cast<int64_t>(limit > 0 ? limit : -1));
  });
}

StatusOr<std::vector<Run>> SqliteStore::QueryRuns(const std::string& sql_suffix,
                                                  const std::function<void(Statement&)>& bind, bool once) {
  const std::string sql = fmt::format("SELECT {} FROM runs {}", kRunColumns, sql_suffix);
  std::unique_ptr<Statement> owned;
  Statement* st = nullptr;
  if (once) {
    ASSIGN_OR_RETURN(owned, db_->PrepareOnce(sql));
    st = owned.get();
  } else {
    ASSIGN_OR_RETURN(st, db_->Prepare(sql));
  }
  bind(*st);
  std::vector<Run> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ASSIGN_OR_RETURN(Run r, ReadRun(*st));
    out.push_back(std::move(r));
  }
  return out;
}

Status SqliteStore::DeleteRun(int64_t id) {
  return InWriteTxn([&]() -> Status {
    // A run reusing this one whole needs its executions before they go.
    RETURN_IF_ERROR(ExpandReusedRuns().status());
    ASSIGN_OR_RETURN(Statement * st, db_->Prepare("DELETE FROM runs WHERE id=?"));
    RETURN_IF_ERROR(st->Bind(1, id).Run());
    if (db_->Changes() == 0) return NotFoundError(fmt::format("no run {}", id));
    return OkStatus();
  });
}

StatusOr<int64_t> SqliteStore::CreateExecution(const Execution& e) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT INTO executions(run_id, step, status, attempt, exit_code, started_ns, "
                                "ended_ns, wall_ns, cpu_ns, peak_rss_bytes, cache_key, key_record, reason, "
                                "stdout_log, stderr_log, reused_from) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  BindExecution(*st, e);
  RETURN_IF_ERROR(st->Run());
  return db_->LastInsertId();
}

Status SqliteStore::UpdateExecution(const Execution& e) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("UPDATE executions SET run_id=?, step=?, status=?, attempt=?, exit_code=?, "
                                "started_ns=?, ended_ns=?, wall_ns=?, cpu_ns=?, peak_rss_bytes=?, cache_key=?, "
                                "key_record=?, reason=?, stdout_log=?, stderr_log=?, reused_from=? WHERE id=?"));
  BindExecution(*st, e);
  st->Bind(17, e.id);
  RETURN_IF_ERROR(st->Run());
  if (db_->Changes() == 0) return NotFoundError(fmt::format("no execution {}", e.id));
  return OkStatus();
}

Status SqliteStore::SetExecutionResult(int64_t id, const ExecutionResult& r) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("UPDATE executions SET status=?, attempt=?, exit_code=?, ended_ns=?, wall_ns=?, "
                                "cpu_ns=?, peak_rss_bytes=?, stdout_log=?, stderr_log=? WHERE id=?"));
  st->Bind(1, ToString(r.status)).Bind(2, static_cast<int64_t>(r.attempt)).Bind(3, r.exit_code);
  st->Bind(4, r.ended_ns).Bind(5, r.wall_ns).Bind(6, r.cpu_ns).Bind(7, r.peak_rss_bytes);
  st->Bind(8, r.stdout_log).Bind(9, r.stderr_log).Bind(10, id);
  RETURN_IF_ERROR(st->Run());
  if (db_->Changes() == 0) return NotFoundError(fmt::format("no execution {}", id));
  return OkStatus();
}

StatusOr<std::vector<Execution>> SqliteStore::QueryExecutions(const std::string& sql_suffix,
                                                              const std::function<void(Statement&)>& bind,
                                                              int limit) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare(fmt::format("SELECT {} FROM executions e {}", kExecutionColumns, sql_suffix)));
  bind(*st);
  std::vector<Execution> out;
  while (limit <= 0 || static_cast<int>(out.size()) < limit) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ASSIGN_OR_RETURN(Execution e, ReadExecution(*st));
    out.push_back(std::move(e));
  }
  st->Reset();
  return out;
}

StatusOr<Execution> SqliteStore::GetExecution(int64_t id) {
  ASSIGN_OR_RETURN(auto v, QueryExecutions("WHERE e.id=?", [&](Statement& st) { st.Bind(1, id); }));
  if (v.empty()) return NotFoundError(fmt::format("no execution {}", id));
  return v[0];
}

StatusOr<std::vector<Execution>> SqliteStore::ListExecutions(int64_t run_id) {
  return QueryExecutions("WHERE e.run_id=? ORDER BY e.id", [&](Statement& st) { st.Bind(1, run_id); });
}

StatusOr<Execution> SqliteStore::LastExecution(std::string_view pipeline, std::string_view step) {
  ASSIGN_OR_RETURN(auto v, QueryExecutions("JOIN runs r ON r.id = e.run_id WHERE r.pipeline=? AND e.step=? AND "
                                           "e.status IN ('succeeded','failed','cached') ORDER BY e.id DESC LIMIT 1",
                                           [&](Statement& st) { st.Bind(1, pipeline).Bind(2, step); }));
  if (v.empty()) return NotFoundError(fmt::format("no finished execution of {}.{}", pipeline, step));
  return v[0];
}

StatusOr<std::pair<int64_t, std::string>> SqliteStore::LastExecutionKey(std::string_view pipeline,
                                                                        std::string_view step) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT e.id, e.cache_key FROM executions e JOIN runs r ON r.id = e.run_id "
                                "WHERE r.pipeline=? AND e.step=? AND e.status IN ('succeeded','failed','cached') "
                                "ORDER BY e.id DESC LIMIT 1"));
  st->Bind(1, pipeline).Bind(2, step);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return NotFoundError(fmt::format("no finished execution of {}.{}", pipeline, step));
  return std::make_pair(st->Int(0), st->Text(1));
}

StatusOr<RecentKeys> SqliteStore::RecentExecutionKeys(std::string_view pipeline, int runs) {
  if (runs < 1) return InvalidArgumentError("runs must be >= 1");
  RecentKeys out;
  std::vector<int64_t> run_ids;
  {
    ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT id FROM runs WHERE pipeline=? ORDER BY id DESC LIMIT ?"));
    st->Bind(1, pipeline).Bind(2, static_cast<int64_t>(runs) + 1);
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      run_ids.push_back(st->Int(0));
    }
  }
  out.complete = run_ids.size() <= static_cast<size_t>(runs);
  if (run_ids.empty()) return out;
  // The oldest run read is the bound (runs_by_pipeline, then executions_by_run).
  const int64_t oldest = run_ids[std::min(run_ids.size(), static_cast<size_t>(runs)) - 1];
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT e.id, e.step, e.cache_key FROM executions e WHERE e.run_id IN "
                                "(SELECT id FROM runs WHERE pipeline=? AND id>=?) "
                                "AND e.status IN ('succeeded','failed','cached') ORDER BY e.id DESC"));
  st->Bind(1, pipeline).Bind(2, oldest);
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.keys.push_back(ExecutionKey{st->Int(0), st->Text(1), st->Text(2)});
  }
  return out;
}

StatusOr<std::map<std::string, CacheHit>> SqliteStore::NewestCacheHits(const std::vector<std::string>& keys) {
  // Chunks of kChunk keys: one query for the executions, one for their outputs.
  constexpr size_t kChunk = 256;
  std::map<std::string, CacheHit> out;
  for (size_t begin = 0; begin < keys.size(); begin += kChunk) {
    const size_t n = std::min(kChunk, keys.size() - begin);
    std::map<int64_t, CacheHit*> by_execution;
    {
      ASSIGN_OR_RETURN(Statement * st,
                       db_->Prepare(fmt::format("SELECT {}, c.cache_key FROM cache_entries c JOIN executions e ON "
                                                "e.id = c.execution_id WHERE c.cache_key IN ({}) AND "
                                                "e.status = 'succeeded' ORDER BY c.id DESC",
                                                kExecutionColumns, Marks(n))));
      for (size_t i = 0; i < n; ++i) st->Bind(static_cast<int>(i) + 1, keys[begin + i]);
      while (true) {
        ASSIGN_OR_RETURN(bool row, st->Step());
        if (!row) break;
        std::string key = st->Text(kExecutionColumnCount);
        if (out.count(key) > 0) continue;  // an older entry of a key already seen
        ASSIGN_OR_RETURN(Execution e, ReadExecution(*st));
        CacheHit& hit = out[key];
        hit.execution = std::move(e);
        by_execution[hit.execution.id] = &hit;
      }
      st->Reset();
    }
    if (by_execution.empty()) continue;
    ASSIGN_OR_RETURN(Statement * st,
                     db_->Prepare(fmt::format("SELECT {} FROM events WHERE execution_id IN ({}) AND kind='output' "
                                              "ORDER BY id",
                                              kEventColumns, Marks(by_execution.size()))));
    int i = 0;
    for (const auto& [id, _] : by_execution) st->Bind(++i, id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      ASSIGN_OR_RETURN(Event ev, ReadEvent(*st));
      by_execution[ev.execution_id]->outputs.push_back(std::move(ev));
    }
    st->Reset();
  }
  return out;
}

}  // namespace mlpipe::metadata
