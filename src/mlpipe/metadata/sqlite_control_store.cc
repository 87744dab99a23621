#include "mlpipe/metadata/sqlite_control_store.h"

#include <fmt/format.h>

#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {
namespace {

constexpr const char* kFireColumns =
    "id, pipeline, trigger_id, reason, fired_ns, state, detail, run_id, started_ns, ended_ns, force, "
    "resume_run, params";

StatusOr<TriggerFire> ReadFire(Statement& st) {
  TriggerFire f;
  f.id = st.Int(0);
  f.pipeline = st.Text(1);
  f.trigger_id = st.Text(2);
  f.reason = st.Text(3);
  f.fired_ns = st.Int(4);
  ASSIGN_OR_RETURN(f.state, ParseFireState(st.Text(5)));
  f.detail = st.Text(6);
  f.run_id = st.OptInt(7);
  f.started_ns = st.Int(8);
  f.ended_ns = st.Int(9);
  f.force = st.Int(10) != 0;
  f.resume_run = st.OptInt(11);
  f.params = st.Text(12);
  return f;
}

void BindFire(Statement& st, const TriggerFire& f) {
  st.Bind(1, f.pipeline).Bind(2, f.trigger_id).Bind(3, f.reason).Bind(4, f.fired_ns);
  st.Bind(5, ToString(f.state)).Bind(6, f.detail).Bind(7, f.run_id).Bind(8, f.started_ns);
  st.Bind(9, f.ended_ns).Bind(10, static_cast<int64_t>(f.force ? 1 : 0)).Bind(11, f.resume_run);
  st.Bind(12, f.params);
}

}  // namespace

StatusOr<std::unique_ptr<SqliteControlStore>> SqliteControlStore::Open(const std::string& path,
                                                                       int busy_timeout_ms) {
  {
    // Creates and migrates the file (and sets WAL mode) the one way every
    // command does.
    ASSIGN_OR_RETURN(auto migrated, SqliteStore::Open(path, {.busy_timeout_ms = busy_timeout_ms}));
  }
  ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, busy_timeout_ms));
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return std::unique_ptr<SqliteControlStore>(new SqliteControlStore(std::move(db)));
}

Status SqliteControlStore::Begin() { return db_->Exec("BEGIN IMMEDIATE"); }
Status SqliteControlStore::Commit() { return db_->Exec("COMMIT"); }
Status SqliteControlStore::Rollback() { return db_->Exec("ROLLBACK"); }

StatusOr<int64_t> SqliteControlStore::RecordFire(const TriggerFire& fire) {
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare(
          "INSERT INTO trigger_fires(pipeline, trigger_id, reason, fired_ns, state, detail, "
          "run_id, started_ns, ended_ns, force, resume_run, params) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"));
  BindFire(*st, fire);
  RETURN_IF_ERROR(st->Run());
  return db_->LastInsertId();
}

Status SqliteControlStore::UpdateFire(const TriggerFire& fire) {
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare(
          "UPDATE trigger_fires SET pipeline=?, trigger_id=?, reason=?, fired_ns=?, state=?, "
          "detail=?, run_id=?, started_ns=?, ended_ns=?, force=?, resume_run=?, params=? WHERE id=?"));
  BindFire(*st, fire);
  st->Bind(13, fire.id);
  RETURN_IF_ERROR(st->Run());
  if (db_->Changes() == 0) return NotFoundError(fmt::format("no trigger fire {}", fire.id));
  return OkStatus();
}

StatusOr<TriggerFire> SqliteControlStore::GetFire(int64_t id) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare(fmt::format("SELECT {} FROM trigger_fires WHERE id=?", kFireColumns)));
  st->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return NotFoundError(fmt::format("no trigger fire {}", id));
  auto fire = ReadFire(*st);
  st->Reset();
  return fire;
}

StatusOr<std::vector<TriggerFire>> SqliteControlStore::ListFires(const FireQuery& query) {
  std::string states;
  for (FireState s : query.states) states += fmt::format("{}'{}'", states.empty() ? "" : ",", ToString(s));
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare(
          fmt::format("SELECT {} FROM trigger_fires WHERE (?1 = '' OR pipeline = ?1) AND (?2 = 0 OR id < ?2) "
                      "{} ORDER BY id DESC LIMIT ?3",
                      kFireColumns, states.empty() ? "" : "AND state IN (" + states + ")")));
  st->Bind(1, query.pipeline)
      .Bind(2, query.before_id)
      .Bind(3, static_cast<int64_t>(query.limit > 0 ? query.limit : -1));
  std::vector<TriggerFire> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ASSIGN_OR_RETURN(TriggerFire f, ReadFire(*st));
    out.push_back(std::move(f));
  }
  st->Reset();
  return out;
}

StatusOr<int> SqliteControlStore::CountStartedSince(std::string_view pipeline, int64_t since_ns) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT COUNT(*) FROM trigger_fires WHERE pipeline = ? AND force = 0 AND "
                                "state IN ('started', 'finished', 'interrupted') AND started_ns >= ?"));
  st->Bind(1, pipeline).Bind(2, since_ns);
  ASSIGN_OR_RETURN(bool row, st->Step());
  const int n = row ? static_cast<int>(st->Int(0)) : 0;
  st->Reset();
  return n;
}

StatusOr<int64_t> SqliteControlStore::LastStartNs(std::string_view pipeline) {
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("SELECT COALESCE(MAX(started_ns), 0) FROM trigger_fires WHERE pipeline = ? AND "
                   "force = 0 AND state IN ('started', 'finished', 'interrupted')"));
  st->Bind(1, pipeline);
  ASSIGN_OR_RETURN(bool row, st->Step());
  const int64_t t = row ? st->Int(0) : 0;
  st->Reset();
  return t;
}

StatusOr<std::optional<std::string>> SqliteControlStore::GetTriggerState(std::string_view pipeline,
                                                                         std::string_view trigger_id,
                                                                         std::string_view key) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT value FROM trigger_state WHERE pipeline = ? AND "
                                                "trigger_id = ? AND key = ?"));
  st->Bind(1, pipeline).Bind(2, trigger_id).Bind(3, key);
  ASSIGN_OR_RETURN(bool row, st->Step());
  std::optional<std::string> value;
  if (row) value = st->Text(0);
  st->Reset();
  return value;
}

Status SqliteControlStore::SetTriggerState(std::string_view pipeline, std::string_view trigger_id,
                                           std::string_view key, std::string_view value, int64_t now_ns) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT INTO trigger_state(pipeline, trigger_id, key, value, updated_ns) "
                                "VALUES (?,?,?,?,?) ON CONFLICT(pipeline, trigger_id, key) "
                                "DO UPDATE SET value = excluded.value, updated_ns = excluded.updated_ns"));
  st->Bind(1, pipeline).Bind(2, trigger_id).Bind(3, key).Bind(4, value).Bind(5, now_ns);
  return st->Run();
}

Status SqliteControlStore::AppendSeries(const std::vector<SeriesPoint>& points) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT INTO series(name, labels, time_ns, value) VALUES (?,?,?,?)"));
  for (const SeriesPoint& p : points) {
    st->Reset();
    st->Bind(1, p.name).Bind(2, p.labels).Bind(3, p.time_ns).Bind(4, p.value);
    RETURN_IF_ERROR(st->Run());
  }
  return OkStatus();
}

StatusOr<std::vector<SeriesPoint>> SqliteControlStore::QuerySeries(std::string_view name,
                                                                   const std::optional<std::string>& labels,
                                                                   int64_t from_ns, int64_t to_ns) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT name, labels, time_ns, value FROM series WHERE name = ?1 AND "
                                "(?2 IS NULL OR labels = ?2) AND time_ns >= ?3 AND time_ns < ?4 "
                                "ORDER BY time_ns, labels"));
  st->Bind(1, name);
  if (labels) {
    st->Bind(2, *labels);
  } else {
    st->BindNull(2);
  }
  st->Bind(3, from_ns).Bind(4, to_ns);
  std::vector<SeriesPoint> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back({st->Text(0), st->Text(1), st->Int(2), st->Double(3)});
  }
  st->Reset();
  return out;
}

StatusOr<std::vector<SeriesPoint>> SqliteControlStore::LatestPoints(std::string_view name) {
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("SELECT s.name, s.labels, s.time_ns, s.value FROM series s JOIN "
                   "(SELECT labels, MAX(time_ns) AS t FROM series WHERE name = ?1 GROUP BY labels) m "
                   "ON s.labels = m.labels AND s.time_ns = m.t WHERE s.name = ?1 ORDER BY s.labels"));
  st->Bind(1, name);
  std::vector<SeriesPoint> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    if (!out.empty() && out.back().labels == st->Text(1)) continue;  // two points at one time: the first
    out.push_back({st->Text(0), st->Text(1), st->Int(2), st->Double(3)});
  }
  st->Reset();
  return out;
}

StatusOr<std::vector<ControlStore::Count>> SqliteControlStore::Counts(const std::string& sql) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare(sql));
  std::vector<Count> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back({st->Text(0), st->Text(1), st->Int(2)});
  }
  st->Reset();
  return out;
}

StatusOr<std::vector<ControlStore::Count>> SqliteControlStore::RunCounts() {
  return Counts(
      "SELECT pipeline, status, COUNT(*) FROM runs GROUP BY pipeline, status ORDER BY pipeline, status");
}

StatusOr<std::vector<ControlStore::Count>> SqliteControlStore::FireCounts() {
  return Counts(
      "SELECT pipeline, state, COUNT(*) FROM trigger_fires GROUP BY pipeline, state ORDER BY pipeline, "
      "state");
}

StatusOr<int64_t> SqliteControlStore::CompactSeries(int64_t older_than_ns, int64_t bucket_ns,
                                                    int64_t drop_before_ns) {
  if (bucket_ns <= 0) return InvalidArgumentError("series bucket must be positive");
  int64_t removed = 0;
  RETURN_IF_ERROR(Begin());
  auto body = [&]() -> Status {
    ASSIGN_OR_RETURN(Statement * drop, db_->Prepare("DELETE FROM series WHERE time_ns < ?"));
    RETURN_IF_ERROR(drop->Bind(1, drop_before_ns).Run());
    removed += db_->Changes();
    // Buckets with more than one point become one point at the bucket's
    // start, with the mean value.
    RETURN_IF_ERROR(db_->Exec(fmt::format(
        "CREATE TEMP TABLE IF NOT EXISTS series_compact AS SELECT name, labels, time_ns, value FROM series "
        "WHERE 0; DELETE FROM series_compact; "
        "INSERT INTO series_compact SELECT name, labels, (time_ns / {0}) * {0}, AVG(value) FROM series "
        "WHERE time_ns < {1} GROUP BY name, labels, time_ns / {0} HAVING COUNT(*) > 1;",
        bucket_ns, older_than_ns)));
    RETURN_IF_ERROR(db_->Exec(fmt::format(
        "DELETE FROM series WHERE time_ns < {1} AND EXISTS (SELECT 1 FROM series_compact c WHERE "
        "c.name = series.name AND c.labels = series.labels AND c.time_ns = (series.time_ns / {0}) * {0});",
        bucket_ns, older_than_ns)));
    removed += db_->Changes();
    RETURN_IF_ERROR(db_->Exec("INSERT INTO series SELECT * FROM series_compact;"));
    removed -= db_->Changes();
    return OkStatus();
  };
  Status s = body();
  if (!s.ok()) {
    (void)Rollback();
    return s;
  }
  RETURN_IF_ERROR(Commit());
  return removed;
}

StatusOr<std::vector<int64_t>> SqliteControlStore::AppendEvents(const std::vector<ServerEvent>& events) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT INTO server_events(id, time_ns, kind, pipeline, run_id, data) "
                                "VALUES (?,?,?,?,?,?)"));
  std::vector<int64_t> ids;
  ids.reserve(events.size());
  for (const ServerEvent& e : events) {
    st->Reset();
    if (e.id > 0) {
      st->Bind(1, e.id);
    } else {
      st->BindNull(1);
    }
    st->Bind(2, e.time_ns).Bind(3, e.kind).Bind(4, e.pipeline).Bind(5, e.run_id).Bind(6, e.data);
    RETURN_IF_ERROR(st->Run());
    ids.push_back(db_->LastInsertId());
  }
  return ids;
}

StatusOr<std::vector<ServerEvent>> SqliteControlStore::EventsAfter(int64_t after_id, int limit) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT id, time_ns, kind, pipeline, run_id, data FROM "
                                                "server_events WHERE id > ? ORDER BY id LIMIT ?"));
  st->Bind(1, after_id).Bind(2, static_cast<int64_t>(limit > 0 ? limit : -1));
  std::vector<ServerEvent> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back({st->Int(0), st->Int(1), st->Text(2), st->Text(3), st->OptInt(4), st->Text(5)});
  }
  st->Reset();
  return out;
}

StatusOr<int64_t> SqliteControlStore::LastEventId() {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT COALESCE(MAX(id), 0) FROM server_events"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  const int64_t id = row ? st->Int(0) : 0;
  st->Reset();
  return id;
}

}  // namespace mlpipe::metadata
