// PgStore: artifacts, versions, events and lineage, params, metrics, cache
// entries and gc queries.
#include <fmt/format.h>

#include "mlpipe/metadata/pg_store.h"

namespace mlpipe::metadata {
namespace {

constexpr const char* kPgVersionColumns = "v.name, v.version, v.ref, v.created_ns, v.execution_id";
constexpr const char* kPgMetricColumns = "m.run_id, m.execution_id, m.name, m.value, m.step, m.recorded_ns";

bool PgIsRef(std::string_view s) { return s.substr(0, 7) == "sha256:"; }

// The advisory lock key of an artifact name's versions: ("mlpv", hash of the name).
constexpr int kPgVersionLock = 0x6d6c7076;

}  // namespace

Status PgStore::PutArtifact(const Artifact& a) {
  if (!PgIsRef(a.ref)) return InvalidArgumentError(fmt::format("not an artifact ref: '{}'", a.ref));
  return Call([&] {
    return Q("INSERT INTO artifacts(ref, type, size, is_dir, created_ns) VALUES ($1,$2,$3,$4,$5) "
             "ON CONFLICT (ref) DO UPDATE SET type = excluded.type WHERE artifacts.type = 'source' AND "
             "excluded.type NOT IN ('source', '')",
             PgParams().Add(a.ref).Add(a.type).Add(a.size).Add(a.is_dir ? "true" : "false").Add(a.created_ns))
        .status();
  });
}

StatusOr<Artifact> PgStore::GetArtifact(std::string_view ref) {
  return CallFor<Artifact>([&]() -> StatusOr<Artifact> {
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT ref, type, size, is_dir::int, created_ns FROM artifacts WHERE ref=$1",
                                   PgParams().Add(ref)));
    if (r.rows() == 0) return NotFoundError(fmt::format("no artifact {}", ref));
    return Artifact{r.Text(0, 0), r.Text(0, 1), static_cast<uint64_t>(r.Int(0, 2)), r.Int(0, 3) != 0, r.Int(0, 4)};
  });
}

StatusOr<std::vector<ArtifactVersion>> PgStore::QueryVersions(const std::string& sql_suffix, const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r,
                   Q(fmt::format("SELECT {} FROM artifact_versions v {}", kPgVersionColumns, sql_suffix), params));
  std::vector<ArtifactVersion> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(ArtifactVersion{r.Text(i, 0), r.Int(i, 1), r.Text(i, 2), r.Int(i, 3), r.OptInt(i, 4)});
  }
  return out;
}

StatusOr<ArtifactVersion> PgStore::AssignVersion(std::string_view name, std::string_view ref,
                                                 std::optional<int64_t> execution_id, int64_t created_ns) {
  if (name.empty() || name.find(':') != std::string_view::npos) {
    return InvalidArgumentError(fmt::format("bad artifact name '{}' (empty or contains ':')", name));
  }
  ArtifactVersion result;
  RETURN_IF_ERROR(Call([&] {
    return InTxn([&]() -> Status {
      // Versions of one name are numbered one transaction at a time: the
      // lock is held to the end of the transaction, and the statement
      // after it sees every version committed before.
      RETURN_IF_ERROR(
          Q("SELECT pg_advisory_xact_lock($1, hashtext($2))", PgParams().Add(kPgVersionLock).Add(name)).status());
      // The existing version of this content, else a new one: one statement.
      ASSIGN_OR_RETURN(
          PgResult r,
          Q("WITH existing AS (SELECT name, version, ref, created_ns, execution_id FROM artifact_versions "
            "WHERE name = $1::text AND ref = $2::text), "
            "added AS (INSERT INTO artifact_versions(name, version, ref, created_ns, execution_id) "
            "SELECT $1::text, m.next, $2::text, $3::bigint, $4::bigint FROM (SELECT COALESCE(MAX(version), 0) + 1 "
            "AS next FROM artifact_versions WHERE name = $1::text) m WHERE NOT EXISTS (SELECT 1 FROM existing) "
            "RETURNING name, version, ref, created_ns, execution_id) "
            "SELECT * FROM existing UNION ALL SELECT * FROM added",
            PgParams().Add(name).Add(ref).Add(created_ns).Add(execution_id)));
      if (r.rows() == 0) return InternalError("assigning a version returned nothing");
      result = ArtifactVersion{r.Text(0, 0), r.Int(0, 1), r.Text(0, 2), r.Int(0, 3), r.OptInt(0, 4)};
      return OkStatus();
    });
  }));
  return result;
}

StatusOr<ResolvedArtifact> PgStore::ResolveArtifact(std::string_view text) {
  ResolvedArtifact out;
  ASSIGN_OR_RETURN(ArtifactText parsed, ParseArtifactText(text));
  if (parsed.is_ref) {
    ASSIGN_OR_RETURN(out.artifact, GetArtifact(text));
    return out;
  }
  ASSIGN_OR_RETURN(auto v, CallFor<std::vector<ArtifactVersion>>([&] {
                     return parsed.version ? QueryVersions("WHERE v.name=$1 AND v.version=$2",
                                                           PgParams().Add(parsed.name).Add(*parsed.version))
                                           : QueryVersions("WHERE v.name=$1 ORDER BY v.version DESC LIMIT 1",
                                                           PgParams().Add(parsed.name));
                   }));
  if (v.empty()) return NotFoundError(fmt::format("no artifact version '{}'", text));
  out.version = v[0];
  ASSIGN_OR_RETURN(out.artifact, GetArtifact(v[0].ref));
  return out;
}

StatusOr<std::vector<ArtifactVersion>> PgStore::ListArtifactVersions(std::string_view name_prefix) {
  // starts_with instead of LIKE: names may contain '%' or '_'.
  return CallFor<std::vector<ArtifactVersion>>([&] {
    return QueryVersions("WHERE starts_with(v.name, $1) ORDER BY v.name, v.version", PgParams().Add(name_prefix));
  });
}

StatusOr<std::vector<ArtifactVersion>> PgStore::VersionsOf(std::string_view ref) {
  return CallFor<std::vector<ArtifactVersion>>(
      [&] { return QueryVersions("WHERE v.ref=$1 ORDER BY v.name, v.version", PgParams().Add(ref)); });
}

Status PgStore::RecordEvents(const std::vector<Event>& events) {
  if (events.empty()) return OkStatus();
  return Call([&]() -> Status {
    // One statement for the batch (all or nothing without a transaction).
    std::vector<int64_t> executions;
    std::vector<std::string> refs, kinds, names, version_refs;
    for (const Event& e : events) {
      executions.push_back(e.execution_id);
      refs.push_back(e.ref);
      kinds.push_back(std::string(ToString(e.kind)));
      names.push_back(e.name);
      version_refs.push_back(e.version_ref);
    }
    Status s = Q("INSERT INTO events(execution_id, ref, kind, name, version_ref) SELECT e, r, k, n, v FROM "
                 "unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS "
                 "x(e, r, k, n, v, i) ORDER BY i",
                 PgParams().AddArray(executions).AddArray(refs).AddArray(kinds).AddArray(names).AddArray(version_refs))
                   .status();
    return s.ok() ? s : s.WithContext(fmt::format("recording {} events", events.size()));
  });
}

StatusOr<std::vector<Event>> PgStore::EventsForExecution(int64_t execution_id) {
  return CallFor<std::vector<Event>>(
      [&] { return QueryEvents("WHERE execution_id=$1 ORDER BY id", PgParams().Add(execution_id)); });
}

StatusOr<std::vector<LineageEdge>> PgStore::QueryEdges(const std::string& sql, std::string_view ref) {
  return CallFor<std::vector<LineageEdge>>([&]() -> StatusOr<std::vector<LineageEdge>> {
    ASSIGN_OR_RETURN(PgResult r, Q(sql, PgParams().Add(ref)));
    std::vector<LineageEdge> out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(LineageEdge{r.Int(i, 0), r.Int(i, 1), r.Text(i, 2), r.Text(i, 3), r.Text(i, 4), r.Text(i, 5),
                                r.Text(i, 6)});
    }
    return out;
  });
}

StatusOr<std::vector<LineageEdge>> PgStore::Upstream(std::string_view ref) {
  return QueryEdges(
      "SELECT x.id, x.run_id, x.step, COALESCE(i.ref, ''), COALESCE(i.name, ''), o.ref, o.name "
      "FROM events o JOIN executions x ON x.id = o.execution_id "
      "LEFT JOIN events i ON i.execution_id = o.execution_id AND i.kind = 'input' "
      "WHERE o.ref = $1 AND o.kind = 'output' ORDER BY x.id, i.id NULLS FIRST",
      ref);
}

StatusOr<std::vector<LineageEdge>> PgStore::Downstream(std::string_view ref) {
  return QueryEdges(
      "SELECT x.id, x.run_id, x.step, i.ref, i.name, COALESCE(o.ref, ''), COALESCE(o.name, '') "
      "FROM events i JOIN executions x ON x.id = i.execution_id "
      "LEFT JOIN events o ON o.execution_id = i.execution_id AND o.kind = 'output' "
      "WHERE i.ref = $1 AND i.kind = 'input' ORDER BY x.id, o.id NULLS FIRST",
      ref);
}

Status PgStore::RecordParams(const std::vector<Param>& params) {
  if (params.empty()) return OkStatus();
  return Call([&] {
    std::vector<int64_t> runs;
    std::vector<std::string> executions, names, values;  // executions as text: NULL is possible
    for (const Param& p : params) {
      runs.push_back(p.run_id);
      executions.push_back(p.execution_id ? std::to_string(*p.execution_id) : "");
      names.push_back(p.name);
      values.push_back(p.value);
    }
    return Q("INSERT INTO params(run_id, execution_id, name, value) SELECT r, NULLIF(e, '')::bigint, n, v FROM "
             "unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS x(r, e, n, v, i) "
             "ORDER BY i",
             PgParams().AddArray(runs).AddArray(executions).AddArray(names).AddArray(values))
        .status();
  });
}

StatusOr<std::vector<Param>> PgStore::ParamsForRun(int64_t run_id) {
  return CallFor<std::vector<Param>>([&]() -> StatusOr<std::vector<Param>> {
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT run_id, execution_id, name, value FROM params WHERE run_id=$1 "
                                   "ORDER BY name, id",
                                   PgParams().Add(run_id)));
    std::vector<Param> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(Param{r.Int(i, 0), r.OptInt(i, 1), r.Text(i, 2), r.Text(i, 3)});
    return out;
  });
}

Status PgStore::RecordMetrics(const std::vector<Metric>& metrics) {
  if (metrics.empty()) return OkStatus();
  return Call([&] {
    std::vector<int64_t> runs, times;
    std::vector<std::string> executions, names, values, steps;  // text: NULLs, and doubles exactly
    for (const Metric& m : metrics) {
      runs.push_back(m.run_id);
      executions.push_back(m.execution_id ? std::to_string(*m.execution_id) : "");
      names.push_back(m.name);
      values.push_back(fmt::format("{}", m.value));
      steps.push_back(m.step ? std::to_string(*m.step) : "");
      times.push_back(m.recorded_ns);
    }
    return Q("INSERT INTO metrics(run_id, execution_id, name, value, step, recorded_ns) "
             "SELECT r, NULLIF(e, '')::bigint, n, v::double precision, NULLIF(s, '')::bigint, t FROM "
             "unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) WITH ORDINALITY "
             "AS x(r, e, n, v, s, t, i) ORDER BY i",
             PgParams().AddArray(runs).AddArray(executions).AddArray(names).AddArray(values).AddArray(steps).AddArray(
                 times))
        .status();
  });
}

StatusOr<std::vector<Metric>> PgStore::QueryMetrics(const std::string& sql, const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r, Q(sql, params));
  std::vector<Metric> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(Metric{r.Int(i, 0), r.OptInt(i, 1), r.Text(i, 2), r.Double(i, 3), r.OptInt(i, 4), r.Int(i, 5)});
  }
  return out;
}

StatusOr<std::vector<Metric>> PgStore::MetricsForRun(int64_t run_id) {
  // NULLS FIRST: SQLite's order for a metric without a step.
  return CallFor<std::vector<Metric>>([&] {
    return QueryMetrics(fmt::format("SELECT {} FROM metrics m WHERE m.run_id=$1 ORDER BY m.name, m.step NULLS FIRST, "
                                    "m.id",
                                    kPgMetricColumns),
                        PgParams().Add(run_id));
  });
}

StatusOr<std::vector<Metric>> PgStore::MetricsForExecutions(const std::vector<int64_t>& execution_ids) {
  if (execution_ids.empty()) return std::vector<Metric>{};
  return CallFor<std::vector<Metric>>([&] {
    return QueryMetrics(fmt::format("SELECT {} FROM unnest($1::bigint[]) WITH ORDINALITY AS x(id, n) "
                                    "JOIN metrics m ON m.execution_id = x.id "
                                    "ORDER BY x.n, m.name, m.step NULLS FIRST, m.id",
                                    kPgMetricColumns),
                        PgParams().AddArray(execution_ids));
  });
}

Status PgStore::RecordCacheEntry(std::string_view key, int64_t execution_id, int64_t created_ns) {
  if (key.empty()) return InvalidArgumentError("empty cache key");
  return Call([&] {
    return Q("INSERT INTO cache_entries(cache_key, execution_id, created_ns) VALUES ($1,$2,$3)",
             PgParams().Add(key).Add(execution_id).Add(created_ns))
        .status();
  });
}

StatusOr<std::vector<CacheHit>> PgStore::CacheCandidatesIn(std::string_view key, int limit) {
  ASSIGN_OR_RETURN(auto execs,
                   QueryExecutions("JOIN cache_entries c ON c.execution_id = e.id WHERE c.cache_key = $1 AND "
                                   "e.status = 'succeeded' ORDER BY c.id DESC LIMIT $2",
                                   PgParams().Add(key).Add(limit > 0 ? std::optional<int>(limit) : std::nullopt)));
  std::vector<CacheHit> out;
  if (execs.empty()) return out;
  std::vector<int64_t> ids;
  for (const auto& e : execs) ids.push_back(e.id);
  ASSIGN_OR_RETURN(auto events, QueryEvents("WHERE execution_id = ANY($1::bigint[]) AND kind = 'output' ORDER BY id",
                                            PgParams().AddArray(ids)));
  for (auto& e : execs) {
    CacheHit hit{std::move(e), {}};
    for (const Event& ev : events) {
      if (ev.execution_id == hit.execution.id) hit.outputs.push_back(ev);
    }
    out.push_back(std::move(hit));
  }
  return out;
}

StatusOr<std::vector<CacheHit>> PgStore::CacheCandidates(std::string_view key, int limit) {
  return CallFor<std::vector<CacheHit>>([&] { return CacheCandidatesIn(key, limit); });
}

StatusOr<CacheHit> PgStore::LookupCache(std::string_view key) {
  ASSIGN_OR_RETURN(auto hits, CacheCandidates(key, 1));
  if (hits.empty()) return NotFoundError(fmt::format("no successful execution with cache key {}", key));
  return std::move(hits[0]);
}

StatusOr<std::vector<std::string>> PgStore::ReferencedRefs() {
  return CallFor<std::vector<std::string>>([&]() -> StatusOr<std::vector<std::string>> {
    ASSIGN_OR_RETURN(PgResult r, Q("SELECT ref FROM events UNION SELECT ref FROM artifact_versions "
                                   "UNION SELECT ref FROM model_versions ORDER BY 1"));
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) out.push_back(r.Text(i, 0));
    return out;
  });
}

}  // namespace mlpipe::metadata
