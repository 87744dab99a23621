#include "mlpipe/metadata/pg_control_store.h"

#include <fmt/format.h>

namespace mlpipe::metadata {
namespace {

constexpr const char* kPgFireColumns =
    "id, pipeline, trigger_id, reason, fired_ns, state, detail, run_id, started_ns, ended_ns, force, "
    "resume_run, params";

StatusOr<TriggerFire> PgReadFire(const PgResult& r, int i) {
  TriggerFire f;
  f.id = r.Int(i, 0);
  f.pipeline = r.Text(i, 1);
  f.trigger_id = r.Text(i, 2);
  f.reason = r.Text(i, 3);
  f.fired_ns = r.Int(i, 4);
  ASSIGN_OR_RETURN(f.state, ParseFireState(r.Text(i, 5)));
  f.detail = r.Text(i, 6);
  f.run_id = r.OptInt(i, 7);
  f.started_ns = r.Int(i, 8);
  f.ended_ns = r.Int(i, 9);
  f.force = r.Text(i, 10) == "t";
  f.resume_run = r.OptInt(i, 11);
  f.params = r.Text(i, 12);
  return f;
}

// $1..$12: every column but id.
PgParams PgFireParams(const TriggerFire& f) {
  PgParams p;
  p.Add(f.pipeline).Add(f.trigger_id).Add(f.reason).Add(f.fired_ns).Add(ToString(f.state)).Add(f.detail);
  p.Add(f.run_id).Add(f.started_ns).Add(f.ended_ns).Add(f.force ? "true" : "false").Add(f.resume_run);
  p.Add(f.params);
  return p;
}

// The states in which a fire counts as started (the daily cap, the cooldown).
constexpr const char* kPgStartedStates = "state IN ('started', 'finished', 'interrupted')";

}  // namespace

StatusOr<std::unique_ptr<PgControlStore>> PgControlStore::Open(const std::string& url,
                                                               const PgStoreOptions& options) {
  ASSIGN_OR_RETURN(auto conn, PgConnectMigrated(url, options.schema));
  return std::unique_ptr<PgControlStore>(new PgControlStore(std::move(conn), options.max_retries));
}

Status PgControlStore::Begin() { return session_.Begin(); }
Status PgControlStore::Commit() { return session_.Commit(); }
Status PgControlStore::Rollback() { return session_.Rollback(); }

StatusOr<int64_t> PgControlStore::RecordFire(const TriggerFire& fire) {
  return session_.CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, session_.Query("INSERT INTO trigger_fires(pipeline, trigger_id, reason, fired_ns, "
                                                "state, detail, run_id, started_ns, ended_ns, force, resume_run, "
                                                "params) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING id",
                                                PgFireParams(fire)));
    return r.Int(0, 0);
  });
}

Status PgControlStore::UpdateFire(const TriggerFire& fire) {
  return session_.Call([&]() -> Status {
    PgParams p = PgFireParams(fire);
    ASSIGN_OR_RETURN(PgResult r, session_.Query("UPDATE trigger_fires SET pipeline=$1, trigger_id=$2, reason=$3, "
                                                "fired_ns=$4, state=$5, detail=$6, run_id=$7, started_ns=$8, "
                                                "ended_ns=$9, force=$10, resume_run=$11, params=$12 WHERE id=$13",
                                                p.Add(fire.id)));
    if (r.affected() == 0) return NotFoundError(fmt::format("no trigger fire {}", fire.id));
    return OkStatus();
  });
}

StatusOr<std::vector<TriggerFire>> PgControlStore::QueryFires(const std::string& sql_suffix,
                                                              const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r,
                   session_.Query(fmt::format("SELECT {} FROM trigger_fires {}", kPgFireColumns, sql_suffix), params));
  std::vector<TriggerFire> out;
  for (int i = 0; i < r.rows(); ++i) {
    ASSIGN_OR_RETURN(TriggerFire f, PgReadFire(r, i));
    out.push_back(std::move(f));
  }
  return out;
}

StatusOr<TriggerFire> PgControlStore::GetFire(int64_t id) {
  return session_.CallFor<TriggerFire>([&]() -> StatusOr<TriggerFire> {
    ASSIGN_OR_RETURN(auto fires, QueryFires("WHERE id=$1", PgParams().Add(id)));
    if (fires.empty()) return NotFoundError(fmt::format("no trigger fire {}", id));
    return std::move(fires[0]);
  });
}

StatusOr<std::vector<TriggerFire>> PgControlStore::ListFires(const FireQuery& query) {
  std::vector<std::string> states;
  for (FireState s : query.states) states.emplace_back(ToString(s));
  return session_.CallFor<std::vector<TriggerFire>>([&] {
    return QueryFires(
        "WHERE ($1 = '' OR pipeline = $1) AND ($2::bigint = 0 OR id < $2) AND "
        "(cardinality($3::text[]) = 0 OR state = ANY($3::text[])) ORDER BY id DESC LIMIT $4",
        PgParams().Add(query.pipeline).Add(query.before_id).AddArray(states).Add(
            query.limit > 0 ? std::optional<int>(query.limit) : std::nullopt));
  });
}

StatusOr<int> PgControlStore::CountStartedSince(std::string_view pipeline, int64_t since_ns) {
  return session_.CallFor<int>([&]() -> StatusOr<int> {
    ASSIGN_OR_RETURN(PgResult r, session_.Query(fmt::format("SELECT COUNT(*) FROM trigger_fires WHERE pipeline = $1 "
                                                            "AND NOT force AND {} AND started_ns >= $2",
                                                            kPgStartedStates),
                                                PgParams().Add(pipeline).Add(since_ns)));
    return static_cast<int>(r.Int(0, 0));
  });
}

StatusOr<int64_t> PgControlStore::LastStartNs(std::string_view pipeline) {
  return session_.CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, session_.Query(fmt::format("SELECT COALESCE(MAX(started_ns), 0) FROM trigger_fires "
                                                            "WHERE pipeline = $1 AND NOT force AND {}",
                                                            kPgStartedStates),
                                                PgParams().Add(pipeline)));
    return r.Int(0, 0);
  });
}

StatusOr<std::optional<std::string>> PgControlStore::GetTriggerState(std::string_view pipeline,
                                                                     std::string_view trigger_id,
                                                                     std::string_view key) {
  using Value = std::optional<std::string>;
  return session_.CallFor<Value>([&]() -> StatusOr<Value> {
    ASSIGN_OR_RETURN(PgResult r, session_.Query("SELECT value FROM trigger_state WHERE pipeline = $1 AND "
                                                "trigger_id = $2 AND key = $3",
                                                PgParams().Add(pipeline).Add(trigger_id).Add(key)));
    if (r.rows() == 0) return Value();
    return Value(r.Text(0, 0));
  });
}

Status PgControlStore::SetTriggerState(std::string_view pipeline, std::string_view trigger_id,
                                       std::string_view key, std::string_view value, int64_t now_ns) {
  return session_.Call([&] {
    return session_
        .Query("INSERT INTO trigger_state(pipeline, trigger_id, key, value, updated_ns) VALUES ($1,$2,$3,$4,$5) "
               "ON CONFLICT (pipeline, trigger_id, key) DO UPDATE SET value = excluded.value, "
               "updated_ns = excluded.updated_ns",
               PgParams().Add(pipeline).Add(trigger_id).Add(key).Add(value).Add(now_ns))
        .status();
  });
}

Status PgControlStore::AppendSeries(const std::vector<SeriesPoint>& points) {
  if (points.empty()) return OkStatus();
  // One transaction for the batch: one commit (one WAL flush) for a scrape's points.
  return session_.Call([&] {
    return session_.InTxn([&]() -> Status {
      for (const SeriesPoint& p : points) {
        RETURN_IF_ERROR(session_
                            .Query("INSERT INTO series(name, labels, time_ns, value) VALUES ($1,$2,$3,$4)",
                                   PgParams().Add(p.name).Add(p.labels).Add(p.time_ns).Add(p.value))
                            .status());
      }
      return OkStatus();
    });
  });
}

StatusOr<std::vector<SeriesPoint>> PgControlStore::QueryPoints(const std::string& sql, const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r, session_.Query(sql, params));
  std::vector<SeriesPoint> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back({r.Text(i, 0), r.Text(i, 1), r.Int(i, 2), r.Double(i, 3)});
  return out;
}

StatusOr<std::vector<SeriesPoint>> PgControlStore::QuerySeries(std::string_view name,
                                                               const std::optional<std::string>& labels,
                                                               int64_t from_ns, int64_t to_ns) {
  PgParams p;
  p.Add(name);
  if (labels) {
    p.Add(*labels);
  } else {
    p.AddNull();
  }
  p.Add(from_ns).Add(to_ns);
  return session_.CallFor<std::vector<SeriesPoint>>([&] {
    return QueryPoints(
        "SELECT name, labels, time_ns, value FROM series WHERE name = $1 AND ($2::text IS NULL OR labels = $2) "
        "AND time_ns >= $3 AND time_ns < $4 ORDER BY time_ns, labels",
        p);
  });
}

StatusOr<std::vector<SeriesPoint>> PgControlStore::LatestPoints(std::string_view name) {
  return session_.CallFor<std::vector<SeriesPoint>>([&] {
    return QueryPoints(
        "SELECT DISTINCT ON (labels) name, labels, time_ns, value FROM series WHERE name = $1 "
        "ORDER BY labels, time_ns DESC",
        PgParams().Add(name));
  });
}

StatusOr<int64_t> PgControlStore::CompactSeries(int64_t older_than_ns, int64_t bucket_ns, int64_t drop_before_ns) {
  if (bucket_ns <= 0) return InvalidArgumentError("series bucket must be positive");
  return session_.CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    int64_t removed = 0;
    RETURN_IF_ERROR(session_.InTxn([&]() -> Status {
      ASSIGN_OR_RETURN(PgResult dropped,
                       session_.Query("DELETE FROM series WHERE time_ns < $1", PgParams().Add(drop_before_ns)));
      // Buckets with more than one point become one point at the bucket's
      // start, with the mean value: the rows removed are those deleted
      // less the means inserted.
      ASSIGN_OR_RETURN(
          PgResult compacted,
          session_.Query(
              "WITH buckets AS (SELECT name, labels, (time_ns / $1::bigint) * $1::bigint AS t FROM series "
              "WHERE time_ns < $2 GROUP BY 1, 2, 3 HAVING COUNT(*) > 1), "
              "old AS (DELETE FROM series s USING buckets b WHERE s.time_ns < $2 AND s.name = b.name AND "
              "s.labels = b.labels AND (s.time_ns / $1::bigint) * $1::bigint = b.t "
              "RETURNING s.name, s.labels, b.t, s.value), "
              "means AS (INSERT INTO series(name, labels, time_ns, value) SELECT name, labels, t, AVG(value) "
              "FROM old GROUP BY name, labels, t RETURNING 1) "
              "SELECT (SELECT COUNT(*) FROM old) - (SELECT COUNT(*) FROM means)",
              PgParams().Add(bucket_ns).Add(older_than_ns)));
      removed = dropped.affected() + compacted.Int(0, 0);
      return OkStatus();
    }));
    return removed;
  });
}

StatusOr<std::vector<ControlStore::Count>> PgControlStore::Counts(const std::string& sql) {
  return session_.CallFor<std::vector<Count>>([&]() -> StatusOr<std::vector<Count>> {
    ASSIGN_OR_RETURN(PgResult r, session_.Query(sql));
    std::vector<Count> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back({r.Text(i, 0), r.Text(i, 1), r.Int(i, 2)});
    return out;
  });
}

StatusOr<std::vector<ControlStore::Count>> PgControlStore::RunCounts() {
  return Counts(
      "SELECT pipeline, status, COUNT(*) FROM runs GROUP BY pipeline, status ORDER BY pipeline, status COLLATE \"C\"");
}

StatusOr<std::vector<ControlStore::Count>> PgControlStore::FireCounts() {
  return Counts(
      "SELECT pipeline, state, COUNT(*) FROM trigger_fires GROUP BY pipeline, state ORDER BY pipeline, state");
}

StatusOr<std::vector<int64_t>> PgControlStore::AppendEvents(const std::vector<ServerEvent>& events) {
  // Moves the identity past the highest id present, after events stored
  // with their own ids (an identity does not see explicit values).
  const auto resync = [&] {
    return session_
        .Query("SELECT setval(pg_get_serial_sequence('server_events', 'id'), "
               "GREATEST((SELECT MAX(id) FROM server_events), 1))")
        .status();
  };
  using Ids = std::vector<int64_t>;
  return session_.CallFor<Ids>([&]() -> StatusOr<Ids> {
    Ids ids;
    RETURN_IF_ERROR(session_.InTxn([&]() -> Status {
      ids.clear();
      bool explicit_ids = false;
      for (const ServerEvent& e : events) {
        PgParams p;
        p.Add(e.time_ns).Add(e.kind).Add(e.pipeline).Add(e.run_id).Add(e.data);
        if (e.id > 0) {
          ASSIGN_OR_RETURN(PgResult r, session_.Query("INSERT INTO server_events(time_ns, kind, pipeline, run_id, "
                                                      "data, id) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
                                                      p.Add(e.id)));
          ids.push_back(r.Int(0, 0));
          explicit_ids = true;
          continue;
        }
        if (explicit_ids) RETURN_IF_ERROR(resync());
        explicit_ids = false;
        ASSIGN_OR_RETURN(PgResult r, session_.Query("INSERT INTO server_events(time_ns, kind, pipeline, run_id, "
                                                    "data) VALUES ($1,$2,$3,$4,$5) RETURNING id",
                                                    p));
        ids.push_back(r.Int(0, 0));
      }
      return explicit_ids ? resync() : OkStatus();
    }));
    return ids;
  });
}

StatusOr<std::vector<ServerEvent>> PgControlStore::EventsAfter(int64_t after_id, int limit) {
  using Events = std::vector<ServerEvent>;
  return session_.CallFor<Events>([&]() -> StatusOr<Events> {
    ASSIGN_OR_RETURN(PgResult r, session_.Query("SELECT id, time_ns, kind, pipeline, run_id, data FROM server_events "
                                                "WHERE id > $1 ORDER BY id LIMIT $2",
                                                PgParams().Add(after_id).Add(
                                                    limit > 0 ? std::optional<int>(limit) : std::nullopt)));
    Events out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({r.Int(i, 0), r.Int(i, 1), r.Text(i, 2), r.Text(i, 3), r.OptInt(i, 4), r.Text(i, 5)});
    }
    return out;
  });
}

StatusOr<int64_t> PgControlStore::LastEventId() {
  return session_.CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, session_.Query("SELECT COALESCE(MAX(id), 0) FROM server_events"));
    return r.Int(0, 0);
  });
}

}  // namespace mlpipe::metadata
