// SqliteStore: artifacts, versions, events and lineage, params, metrics,
// cache entries and gc queries.
#include <fmt/format.h>

#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {

StatusOr<Execution> ReadExecution(Statement& st);  // sqlite_store.cc
extern const char* const kEventColumns;            // sqlite_store.cc
StatusOr<Event> ReadEvent(Statement& st);          // sqlite_store.cc

namespace {

constexpr const char* kVersionColumns = "v.name, v.version, v.ref, v.created_ns, v.execution_id";

ArtifactVersion ReadVersion(Statement& st) {
  return ArtifactVersion{st.Text(0), st.Int(1), st.Text(2), st.Int(3), st.OptInt(4)};
}

bool IsRef(std::string_view s) { return s.substr(0, 7) == "sha256:"; }

}  // namespace

Status SqliteStore::PutArtifact(const Artifact& a) {
  if (!IsRef(a.ref)) return InvalidArgumentError(fmt::format("not an artifact ref: '{}'", a.ref));
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("INSERT INTO artifacts(ref, type, size, is_dir, created_ns) "
                                                "VALUES (?,?,?,?,?) ON CONFLICT(ref) DO UPDATE SET "
                                                "type = excluded.type WHERE type = 'source' AND "
                                                "excluded.type NOT IN ('source', '')"));
  st->Bind(1, a.ref).Bind(2, a.type).Bind(3, static_cast<int64_t>(a.size)).Bind(4, int64_t{a.is_dir});
  return st->Bind(5, a.created_ns).Run();
}

StatusOr<Artifact> SqliteStore::GetArtifact(std::string_view ref) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT ref, type, size, is_dir, created_ns FROM artifacts WHERE ref=?"));
  st->Bind(1, ref);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return NotFoundError(fmt::format("no artifact {}", ref));
  Artifact a{st->Text(0), st->Text(1), static_cast<uint64_t>(st->Int(2)), st->Int(3) != 0, st->Int(4)};
  st->Reset();
  return a;
}

StatusOr<std::vector<ArtifactVersion>> SqliteStore::QueryVersions(const std::string& sql_suffix,
                                                                  const std::function<void(Statement&)>& bind) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare(fmt::format("SELECT {} FROM artifact_versions v {}", kVersionColumns, sql_suffix)));
  bind(*st);
  std::vector<ArtifactVersion> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadVersion(*st));
  }
  return out;
}

StatusOr<ArtifactVersion> SqliteStore::AssignVersion(std::string_view name, std::string_view ref,
                                                     std::optional<int64_t> execution_id, int64_t created_ns) {
  if (name.empty() || name.find(':') != std::string_view::npos) {
    return InvalidArgumentError(fmt::format("bad artifact name '{}' (empty or contains ':')", name));
  }
  ArtifactVersion result;
  RETURN_IF_ERROR(InWriteTxn([&]() -> Status {
    ASSIGN_OR_RETURN(auto existing, QueryVersions("WHERE v.name=? AND v.ref=?", [&](Statement& st) {
      st.Bind(1, name).Bind(2, ref);
    }));
    if (!existing.empty()) {
      result = existing[0];
      return OkStatus();
    }
    ASSIGN_OR_RETURN(Statement * st,
                     db_->Prepare("INSERT INTO artifact_versions(name, version, ref, created_ns, execution_id) "
                                  "SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3, ?4 FROM artifact_versions "
                                  "WHERE name = ?1 RETURNING version"));
    st->Bind(1, name).Bind(2, ref).Bind(3, created_ns).Bind(4, execution_id);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) return InternalError("insert of a version returned nothing");
    result = ArtifactVersion{std::string(name), st->Int(0), std::string(ref), created_ns, execution_id};
    return st->Run();
  }));
  return result;
}

StatusOr<ResolvedArtifact> SqliteStore::ResolveArtifact(std::string_view text) {
  ResolvedArtifact out;
  ASSIGN_OR_RETURN(ArtifactText parsed, ParseArtifactText(text));
  if (parsed.is_ref) {
    ASSIGN_OR_RETURN(out.artifact, GetArtifact(text));
    return out;
  }
  std::vector<ArtifactVersion> v;
  if (parsed.version) {
    ASSIGN_OR_RETURN(v, QueryVersions("WHERE v.name=? AND v.version=?", [&](Statement& st) {
      st.Bind(1, parsed.name).Bind(2, *parsed.version);
    }));
  } else {
    ASSIGN_OR_RETURN(v, QueryVersions("WHERE v.name=? ORDER BY v.version DESC LIMIT 1",
                                      [&](Statement& st) { st.Bind(1, parsed.name); }));
  }
  if (v.empty()) return NotFoundError(fmt::format("no artifact version '{}'", text));
  out.version = v[0];
  ASSIGN_OR_RETURN(out.artifact, GetArtifact(v[0].ref));
  return out;
}

StatusOr<std::vector<ArtifactVersion>> SqliteStore::ListArtifactVersions(std::string_view name_prefix) {
  // substr instead of LIKE: names may contain '%' or '_'.
  return QueryVersions("WHERE substr(v.name, 1, length(?1)) = ?1 ORDER BY v.name, v.version",
                       [&](Statement& st) { st.Bind(1, name_prefix); });
}

StatusOr<std::vector<ArtifactVersion>> SqliteStore::VersionsOf(std::string_view ref) {
  return QueryVersions("WHERE v.ref=? ORDER BY v.name, v.version", [&](Statement& st) { st.Bind(1, ref); });
}

Status SqliteStore::RecordEvents(const std::vector<Event>& events) {
  return InWriteTxn([&]() -> Status {
    ASSIGN_OR_RETURN(Statement * st, db_->Prepare("INSERT INTO events(execution_id, ref, kind, name, version_ref) "
                                                  "VALUES (?,?,?,?,?)"));
    for (const Event& e : events) {
      st->Reset();
      st->Bind(1, e.execution_id).Bind(2, e.ref).Bind(3, ToString(e.kind)).Bind(4, e.name).Bind(5, e.version_ref);
      Status ran = st->Run();
      if (!ran.ok()) {
        return ran.WithContext(fmt::format("event {} {} of execution {}", ToString(e.kind), e.ref, e.execution_id));
      }
    }
    return OkStatus();
  });
}

StatusOr<std::vector<Event>> SqliteStore::EventsForExecution(int64_t execution_id) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare(fmt::format("SELECT {} FROM events WHERE execution_id=? ORDER BY id", kEventColumns)));
  st->Bind(1, execution_id);
  std::vector<Event> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ASSIGN_OR_RETURN(Event e, ReadEvent(*st));
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<std::vector<LineageEdge>> SqliteStore::QueryEdges(const std::string& sql, std::string_view ref) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare(sql));
  st->Bind(1, ref);
  std::vector<LineageEdge> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(LineageEdge{st->Int(0), st->Int(1), st->Text(2), st->Text(3), st->Text(4), st->Text(5),
                              st->Text(6)});
  }
  return out;
}

StatusOr<std::vector<LineageEdge>> SqliteStore::Upstream(std::string_view ref) {
  return QueryEdges(
      "SELECT x.id, x.run_id, x.step, COALESCE(i.ref, ''), COALESCE(i.name, ''), o.ref, o.name "
      "FROM events o JOIN executions x ON x.id = o.execution_id "
      "LEFT JOIN events i ON i.execution_id = o.execution_id AND i.kind = 'input' "
      "WHERE o.ref = ? AND o.kind = 'output' ORDER BY x.id, i.id",
      ref);
}

StatusOr<std::vector<LineageEdge>> SqliteStore::Downstream(std::string_view ref) {
  return QueryEdges(
      "SELECT x.id, x.run_id, x.step, i.ref, i.name, COALESCE(o.ref, ''), COALESCE(o.name, '') "
      "FROM events i JOIN executions x ON x.id = i.execution_id "
      "LEFT JOIN events o ON o.execution_id = i.execution_id AND o.kind = 'output' "
      "WHERE i.ref = ? AND i.kind = 'input' ORDER BY x.id, o.id",
      ref);
}

Status SqliteStore::RecordParams(const std::vector<Param>& params) {
  return InWriteTxn([&]() -> Status {
    ASSIGN_OR_RETURN(Statement * st,
                     db_->Prepare("INSERT INTO params(run_id, execution_id, name, value) VALUES (?,?,?,?)"));
    for (const Param& p : params) {
      st->Reset();
      RETURN_IF_ERROR(st->Bind(1, p.run_id).Bind(2, p.execution_id).Bind(3, p.name).Bind(4, p.value).Run());
    }
    return OkStatus();
  });
}

StatusOr<std::vector<Param>> SqliteStore::ParamsForRun(int64_t run_id) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT run_id, execution_id, name, value FROM params "
                                                "WHERE run_id=? ORDER BY name, id"));
  st->Bind(1, run_id);
  std::vector<Param> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(Param{st->Int(0), st->OptInt(1), st->Text(2), st->Text(3)});
  }
  return out;
}

Status SqliteStore::RecordMetrics(const std::vector<Metric>& metrics) {
  return InWriteTxn([&]() -> Status {
    ASSIGN_OR_RETURN(Statement * st, db_->Prepare("INSERT INTO metrics(run_id, execution_id, name, value, step, "
                                                  "recorded_ns) VALUES (?,?,?,?,?,?)"));
    for (const Metric& m : metrics) {
      st->Reset();
      st->Bind(1, m.run_id).Bind(2, m.execution_id).Bind(3, m.name).Bind(4, m.value).Bind(5, m.step);
      RETURN_IF_ERROR(st->Bind(6, m.recorded_ns).Run());
    }
    return OkStatus();
  });
}

StatusOr<std::vector<Metric>> SqliteStore::MetricsForRun(int64_t run_id) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT run_id, execution_id, name, value, step, recorded_ns "
                                                "FROM metrics WHERE run_id=? ORDER BY name, step, id"));
  st->Bind(1, run_id);
  std::vector<Metric> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(Metric{st->Int(0), st->OptInt(1), st->Text(2), st->Double(3), st->OptInt(4), st->Int(5)});
  }
  return out;
}

StatusOr<std::vector<Metric>> SqliteStore::MetricsForExecutions(const std::vector<int64_t>& execution_ids) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT run_id, execution_id, name, value, step, recorded_ns "
                                                "FROM metrics WHERE execution_id=? ORDER BY name, step, id"));
  std::vector<Metric> out;
  for (int64_t id : execution_ids) {
    st->Reset();
    st->Bind(1, id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      out.push_back(Metric{st->Int(0), st->OptInt(1), st->Text(2), st->Double(3), st->OptInt(4), st->Int(5)});
    }
  }
  return out;
}

Status SqliteStore::RecordCacheEntry(std::string_view key, int64_t execution_id, int64_t created_ns) {
  if (key.empty()) return InvalidArgumentError("empty cache key");
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT INTO cache_entries(cache_key, execution_id, created_ns) VALUES (?,?,?)"));
  return st->Bind(1, key).Bind(2, execution_id).Bind(3, created_ns).Run();
}

StatusOr<std::vector<CacheHit>> SqliteStore::CacheCandidates(std::string_view key, int limit) {
  // Newest entry first through cache_entries_by_key (an execution records
  // its cache entry once, when it succeeds).
  ASSIGN_OR_RETURN(auto execs,
                   QueryExecutions("JOIN cache_entries c ON c.execution_id = e.id WHERE c.cache_key = ? AND "
                                   "e.status = 'succeeded' ORDER BY c.id DESC",
                                   [&](Statement& st) { st.Bind(1, key); }, limit));
  std::vector<CacheHit> out;
  for (auto& e : execs) {
    ASSIGN_OR_RETURN(auto events, EventsForExecution(e.id));
    CacheHit hit{std::move(e), {}};
    for (auto& ev : events) {
      if (ev.kind == EventKind::kOutput) hit.outputs.push_back(std::move(ev));
    }
    out.push_back(std::move(hit));
  }
  return out;
}

StatusOr<CacheHit> SqliteStore::LookupCache(std::string_view key) {
  ASSIGN_OR_RETURN(auto hits, CacheCandidates(key, 1));
  if (hits.empty()) return NotFoundError(fmt::format("no successful execution with cache key {}", key));
  return std::move(hits[0]);
}

StatusOr<std::vector<std::string>> SqliteStore::ReferencedRefs() {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT ref FROM events UNION SELECT ref FROM artifact_versions "
                                                "UNION SELECT ref FROM model_versions ORDER BY 1"));
  return FirstColumnTexts(*st);
}

StatusOr<std::vector<std::string>> SqliteStore::FirstColumnTexts(Statement& st) {
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.Text(0));
  }
  return out;
}

}  // namespace mlpipe::metadata
