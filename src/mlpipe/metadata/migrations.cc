#include "mlpipe/metadata/migrations.h"

#include <fmt/format.h>

namespace mlpipe::metadata {

namespace {

constexpr std::string_view kV1 = R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pipeline TEXT NOT NULL,
  spec_path TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  params_json TEXT NOT NULL DEFAULT '{}',
  started_ns INTEGER NOT NULL DEFAULT 0,
  ended_ns INTEGER NOT NULL DEFAULT 0,
  host TEXT NOT NULL DEFAULT '',
  pid INTEGER NOT NULL DEFAULT 0,
  exit_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_pipeline ON runs(pipeline, id);
CREATE TABLE executions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step TEXT NOT NULL,
  status TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  exit_code INTEGER,
  started_ns INTEGER NOT NULL DEFAULT 0,
  ended_ns INTEGER NOT NULL DEFAULT 0,
  wall_ns INTEGER NOT NULL DEFAULT 0,
  cpu_ns INTEGER NOT NULL DEFAULT 0,
  peak_rss_bytes INTEGER NOT NULL DEFAULT 0,
  cache_key TEXT NOT NULL DEFAULT '',
  key_record TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  stdout_log TEXT NOT NULL DEFAULT '',
  stderr_log TEXT NOT NULL DEFAULT '',
  reused_from INTEGER REFERENCES executions(id) ON DELETE SET NULL
);
CREATE INDEX executions_by_run ON executions(run_id);
CREATE INDEX executions_by_step ON executions(step, id);
CREATE INDEX executions_by_reused_from ON executions(reused_from);
CREATE TABLE artifacts (
  ref TEXT PRIMARY KEY,
  type TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  is_dir INTEGER NOT NULL DEFAULT 0,
  created_ns INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE artifact_versions (
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  ref TEXT NOT NULL REFERENCES artifacts(ref),
  created_ns INTEGER NOT NULL DEFAULT 0,
  execution_id INTEGER REFERENCES executions(id) ON DELETE SET NULL,
  PRIMARY KEY (name, version),
  UNIQUE (name, ref)
);
CREATE INDEX artifact_versions_by_ref ON artifact_versions(ref);
CREATE INDEX artifact_versions_by_execution ON artifact_versions(execution_id);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  execution_id INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
  ref TEXT NOT NULL REFERENCES artifacts(ref),
  kind TEXT NOT NULL CHECK (kind IN ('input', 'output')),
  name TEXT NOT NULL,
  version_ref TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_execution ON events(execution_id);
CREATE INDEX events_by_ref ON events(ref, kind);
)sql";

constexpr std::string_view kV2 = R"sql(
CREATE TABLE params (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  execution_id INTEGER REFERENCES executions(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value TEXT NOT NULL
);
CREATE INDEX params_by_run ON params(run_id);
CREATE INDEX params_by_execution ON params(execution_id);
CREATE TABLE metrics (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  execution_id INTEGER REFERENCES executions(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  value REAL NOT NULL,
  step INTEGER,
  recorded_ns INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX metrics_by_run ON metrics(run_id, name);
CREATE INDEX metrics_by_execution ON metrics(execution_id);
CREATE TABLE cache_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  cache_key TEXT NOT NULL,
  execution_id INTEGER NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
  created_ns INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cache_entries_by_key ON cache_entries(cache_key, id);
CREATE INDEX cache_entries_by_execution ON cache_entries(execution_id);
)sql";

// The model registry. registry_generation is bumped by triggers on every
// change to models, versions and aliases, so a server can poll one row.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE registered_models (
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  created_ns INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE model_versions (
  name TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  ref TEXT NOT NULL REFERENCES artifacts(ref),
  source TEXT NOT NULL DEFAULT '',
  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  execution_id INTEGER REFERENCES executions(id) ON DELETE SET NULL,
  metrics_json TEXT NOT NULL DEFAULT '{}',
  created_ns INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (name, version),
  UNIQUE (name, ref)
);
CREATE INDEX model_versions_by_ref ON model_versions(ref);
CREATE INDEX model_versions_by_run ON model_versions(run_id);
CREATE INDEX model_versions_by_execution ON model_versions(execution_id);
CREATE TABLE model_aliases (
  name TEXT NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_ns INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (name, alias),
  FOREIGN KEY (name, version) REFERENCES model_versions(name, version) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX model_aliases_by_version ON model_aliases(name, version);
CREATE TABLE model_alias_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL REFERENCES registered_models(name) ON DELETE CASCADE,
  alias TEXT NOT NULL,
  from_version INTEGER,
  to_version INTEGER,
  changed_ns INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX model_alias_history_by_alias ON model_alias_history(name, alias, id);
CREATE TABLE registry_generation (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL
);
INSERT INTO registry_generation(id, generation) VALUES (1, 0);
CREATE TRIGGER registered_models_ins AFTER INSERT ON registered_models
  BEGIN UPDATE registry_generation SET generation = generation + 1; END;
CREATE TRIGGER registered_models_upd AFTER UPDATE ON registered_models
  BEGIN UPDATE registry_generation SET generation = generation + 1; END;
CREATE TRIGGER registered_models_del AFTER DELETE ON registered_models
  BEGIN UPDATE registry_generation SET generation = generation + 1; END;
CREATE TRIGGER model_versions_ins AFTER INSERT ON model_versions
  BEGIN UPDATE registry_generation SET generation = generation + 1; END;
CREATE TRIGGER model_versions_del AFTER DELETE ON model_versions
  BEGIN UPDATE registry_generation SET generation = generation + 1; END;
CREATE TRIGGER model_aliases_ins AFTER INSERT ON model_aliases
  BEGIN UPDATE registry_generation SET generation = generation + 1; END;
CREATE TRIGGER model_aliases_upd AFTER UPDATE ON model_aliases
  BEGIN UPDATE registry_generation SET generation = generation + 1; END;
CREATE TRIGGER model_aliases_del AFTER DELETE ON model_aliases
  BEGIN UPDATE registry_generation SET generation = generation + 1; END;
)sql";

// Whole-run reuse (the nothing-changed fast path, engine/run_reuse.h): a run
// that reused an earlier run whole is one row whose executions are written out
// later (expanded = 0 until then); run stamps say what a run read and wrote.
constexpr std::string_view kV4 = R"sql(
ALTER TABLE runs ADD COLUMN reuses_run INTEGER REFERENCES runs(id) ON DELETE SET NULL;
ALTER TABLE runs ADD COLUMN expanded INTEGER NOT NULL DEFAULT 1;
CREATE INDEX runs_unexpanded ON runs(id) WHERE expanded = 0;
CREATE INDEX runs_by_reuses_run ON runs(reuses_run) WHERE reuses_run IS NOT NULL;
CREATE TABLE run_stamps (
  invocation TEXT PRIMARY KEY,
  pipeline TEXT NOT NULL,
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  files TEXT NOT NULL,
  outputs TEXT NOT NULL,
  steps TEXT NOT NULL,
  absent TEXT NOT NULL DEFAULT '',
  created_ns INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX run_stamps_by_run ON run_stamps(run_id);
)sql";

// Sources become stored artifacts named PIPELINE.source.PATH (they were
// versioned as PIPELINE/PATH, without their content); objects that left the
// store, or sources that never entered it, are recorded with why (gc,
// quarantine, not stored), so a reader tells a removed object from a lost one.
constexpr std::string_view kV5 = R"sql(
UPDATE artifact_versions
  SET name = substr(name, 1, instr(name, '/') - 1) || '.source.' || substr(name, instr(name, '/') + 1)
  WHERE instr(name, '/') > 0 AND instr(substr(name, 1, instr(name, '/') - 1), '.') = 0;
CREATE TABLE object_removals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  ref TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('gc', 'quarantined', 'not-stored')),
  detail TEXT NOT NULL DEFAULT '',
  removed_ns INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX object_removals_by_ref ON object_removals(ref, id);
INSERT INTO object_removals(ref, reason, detail, removed_ns)
  SELECT DISTINCT ref, 'not-stored', 'read before sources were stored', 0 FROM artifact_versions
  WHERE instr(name, '.source.') > 0;
)sql";

// The control plane (`mlpipe server`): each run says what started it
// (runs.triggered_by: "" for a command typed by hand); trigger fires are the
// server's durable run queue (a fire is recorded before anything acts on it,
// so a killed server loses none and a restart does not repeat one); what each
// trigger has seen (digests, the last schedule time, a commit, an alias's
// version) survives a restart; the monitoring record's time series; and the
// server's events (what its event stream replays after Last-Event-ID).
constexpr std::string_view kV6 = R"sql(
ALTER TABLE runs ADD COLUMN triggered_by TEXT NOT NULL DEFAULT '';
CREATE TABLE trigger_fires (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pipeline TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  fired_ns INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('queued', 'coalesced', 'started', 'finished', 'skipped', 'interrupted',
                                       'cancelled')),
  detail TEXT NOT NULL DEFAULT '',
  run_id INTEGER,
  started_ns INTEGER NOT NULL DEFAULT 0,
  ended_ns INTEGER NOT NULL DEFAULT 0,
  force INTEGER NOT NULL DEFAULT 0,
  resume_run INTEGER
);
CREATE INDEX trigger_fires_by_state ON trigger_fires(state, id);
CREATE INDEX trigger_fires_by_pipeline ON trigger_fires(pipeline, id);
CREATE TABLE trigger_state (
  pipeline TEXT NOT NULL,
  trigger_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL DEFAULT '',
  updated_ns INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (pipeline, trigger_id, key)
);
CREATE TABLE series (
  name TEXT NOT NULL,
  labels TEXT NOT NULL DEFAULT '',
  time_ns INTEGER NOT NULL,
  value REAL NOT NULL
);
CREATE INDEX series_by_name ON series(name, labels, time_ns);
CREATE TABLE server_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ns INTEGER NOT NULL DEFAULT 0,
  kind TEXT NOT NULL,
  pipeline TEXT NOT NULL DEFAULT '',
  run_id INTEGER,
  data TEXT NOT NULL DEFAULT '{}'
);
)sql";

// Deployments as stored state (docs/deployments.md): a deployment's current
// revision (one row, polled by `mlpipe serve --deployment NAME`) and every
// revision it had; rollouts of a candidate version, step by step; and the
// decision records behind every automated or manual change, with their
// inputs, thresholds, statistics, seed and reason.
constexpr std::string_view kV7 = R"sql(
CREATE TABLE deployments (
  name TEXT PRIMARY KEY,
  model TEXT NOT NULL,
  revision INTEGER NOT NULL,
  created_ns INTEGER NOT NULL,
  updated_ns INTEGER NOT NULL
);
CREATE TABLE deployment_revisions (
  name TEXT NOT NULL,
  revision INTEGER NOT NULL,
  config TEXT NOT NULL,
  source TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT NOT NULL,
  decision_id INTEGER,
  created_ns INTEGER NOT NULL,
  PRIMARY KEY (name, revision)
);
CREATE TABLE rollouts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  deployment TEXT NOT NULL,
  model TEXT NOT NULL,
  candidate_version INTEGER NOT NULL,
  champion_version INTEGER,
  run_id INTEGER,
  policy TEXT NOT NULL,
  state TEXT NOT NULL,
  step_index INTEGER NOT NULL DEFAULT 0,
  step_started_ns INTEGER NOT NULL DEFAULT 0,
  baseline TEXT NOT NULL DEFAULT '{}',
  min_p TEXT NOT NULL DEFAULT '{}',
  detail TEXT NOT NULL DEFAULT '',
  created_ns INTEGER NOT NULL,
  updated_ns INTEGER NOT NULL
);
CREATE INDEX rollouts_by_deployment ON rollouts(deployment, id);
CREATE TABLE decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ns INTEGER NOT NULL,
  kind TEXT NOT NULL,
  deployment TEXT NOT NULL DEFAULT '',
  model TEXT NOT NULL DEFAULT '',
  model_version INTEGER,
  run_id INTEGER,
  rollout_id INTEGER,
  verdict TEXT NOT NULL,
  reason TEXT NOT NULL,
  inputs TEXT NOT NULL DEFAULT '{}',
  thresholds TEXT NOT NULL DEFAULT '{}',
  statistics TEXT NOT NULL DEFAULT '{}',
  seed INTEGER,
  actor TEXT NOT NULL DEFAULT 'server'
);
CREATE INDEX decisions_by_deployment ON decisions(deployment, id);
CREATE INDEX decisions_by_run ON decisions(run_id);
)sql";

// A manual fire's param overrides (POST /api/v1/pipelines/{name}/runs with
// "params"): its run is `mlpipe run -p NAME=VALUE ...`.
constexpr std::string_view kV8 = R"sql(
ALTER TABLE trigger_fires ADD COLUMN params TEXT NOT NULL DEFAULT '';
)sql";

}  // namespace

const std::vector<Migration>& SqliteMigrations() {
  static const auto* migrations = new std::vector<Migration>{
      {1, "runs, executions, artifacts, versions, events", kV1},
      {2, "params, metrics, cache entries", kV2},
      {3, "model registry: registered models, versions, aliases, alias history", kV3},
      {4, "whole-run reuse: runs.reuses_run, runs.expanded, run stamps", kV4},
      {5, "sources named PIPELINE.source.PATH; object removals (gc, quarantine)", kV5},
      {6, "control plane: runs.triggered_by, trigger fires and state, time series, server events", kV6},
      {7, "deployments: revisions, rollouts, decision records", kV7},
      {8, "trigger_fires.params: a manual fire's param overrides", kV8},
  };
  return *migrations;
}

int LatestSchemaVersion() { return SqliteMigrations().back().version; }

StatusOr<int> SchemaVersion(SqliteDb& db) {
  RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
      "applied_ns INTEGER NOT NULL DEFAULT 0)"));
  ASSIGN_OR_RETURN(Statement * st, db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  int v = row ? static_cast<int>(st->Int(0)) : 0;
  st->Reset();
  return v;
}

Status Migrate(SqliteDb& db, int target) {
  if (target < 0) target = LatestSchemaVersion();
  for (const Migration& m : SqliteMigrations()) {
    if (m.version > target) break;
    RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    auto body = [&]() -> Status {
      ASSIGN_OR_RETURN(int current, SchemaVersion(db));
      if (current > LatestSchemaVersion()) {
        return FailedPreconditionError(fmt::format(
            "metadata database has schema v{}, newer than this mlpipe knows (v{}); upgrade mlpipe", current,
            LatestSchemaVersion()));
      }
      if (current >= m.version) return OkStatus();
      RETURN_IF_ERROR(db.Exec(m.sql).WithContext(fmt::format("migration v{}", m.version)));
      ASSIGN_OR_RETURN(
          Statement * st,
          db.Prepare("INSERT INTO schema_version(version, description, applied_ns) VALUES (?, ?, "
                     "CAST((julianday('now') - 2440587.5) * 86400000000000 AS INTEGER))"));
      return st->Bind(1, static_cast<int64_t>(m.version)).Bind(2, m.description).Run();
    };
    Status s = body();
    if (!s.ok()) {
      (void)db.Exec("ROLLBACK");
      return s;
    }
    RETURN_IF_ERROR(db.Exec("COMMIT"));
  }
  // A database newer than us, with nothing left to apply, must still be refused.
  ASSIGN_OR_RETURN(int final_version, SchemaVersion(db));
  if (final_version > LatestSchemaVersion()) {
    return FailedPreconditionError(
        fmt::format("metadata database has schema v{}, newer than this mlpipe knows (v{}); upgrade mlpipe",
                    final_version, LatestSchemaVersion()));
  }
  return OkStatus();
}

}  // namespace mlpipe::metadata
