#include "mlpipe/metadata/sqlite_deployment_store.h"

#include <fmt/format.h>

#include "mlpipe/metadata/deployment_records.h"

namespace mlpipe::metadata {
namespace {

// r.name, r.revision, r.config, r.source, r.actor, r.reason, r.decision_id,
// r.created_ns, d.model (the deployment's model now).
constexpr const char* kRevisionSelect =
    "SELECT r.name, r.revision, r.config, r.source, r.actor, r.reason, r.decision_id, r.created_ns, d.model "
    "FROM deployment_revisions r JOIN deployments d ON d.name = r.name ";

constexpr const char* kRolloutColumns =
    "id, deployment, model, candidate_version, champion_version, run_id, policy, state, step_index, "
    "step_started_ns, baseline, min_p, detail, created_ns, updated_ns";

constexpr const char* kDecisionColumns =
    "id, time_ns, kind, deployment, model, model_version, run_id, rollout_id, verdict, reason, inputs, "
    "thresholds, statistics, seed, actor";

DeploymentRevision ReadRevision(Statement& st) {
  DeploymentRevision r;
  r.name = st.Text(0);
  r.revision = st.Int(1);
  r.config = st.Text(2);
  r.source = st.Text(3);
  r.actor = st.Text(4);
  r.reason = st.Text(5);
  r.decision_id = st.OptInt(6);
  r.created_ns = st.Int(7);
  r.model = RevisionModel(r.config, st.Text(8));
  return r;
}

Rollout ReadRollout(Statement& st) {
  Rollout r;
  r.id = st.Int(0);
  r.deployment = st.Text(1);
  r.model = st.Text(2);
  r.candidate_version = st.Int(3);
  r.champion_version = st.OptInt(4);
  r.run_id = st.OptInt(5);
  r.policy = st.Text(6);
  r.state = st.Text(7);
  r.step_index = static_cast<int>(st.Int(8));
  r.step_started_ns = st.Int(9);
  r.baseline = st.Text(10);
  r.min_p = st.Text(11);
  r.detail = st.Text(12);
  r.created_ns = st.Int(13);
  r.updated_ns = st.Int(14);
  return r;
}

// Binds every column but id, created_ns and updated_ns (1..12).
void BindRollout(Statement& st, const Rollout& r) {
  st.Bind(1, r.deployment).Bind(2, r.model).Bind(3, r.candidate_version).Bind(4, r.champion_version);
  st.Bind(5, r.run_id).Bind(6, r.policy).Bind(7, r.state).Bind(8, static_cast<int64_t>(r.step_index));
  st.Bind(9, r.step_started_ns).Bind(10, r.baseline).Bind(11, r.min_p).Bind(12, r.detail);
}

Decision ReadDecision(Statement& st) {
  Decision d;
  d.id = st.Int(0);
  d.time_ns = st.Int(1);
  d.kind = st.Text(2);
  d.deployment = st.Text(3);
  d.model = st.Text(4);
  d.model_version = st.OptInt(5);
  d.run_id = st.OptInt(6);
  d.rollout_id = st.OptInt(7);
  d.verdict = st.Text(8);
  d.reason = st.Text(9);
  d.inputs = st.Text(10);
  d.thresholds = st.Text(11);
  d.statistics = st.Text(12);
  if (auto seed = st.OptInt(13)) d.seed = static_cast<uint64_t>(*seed);  // bit-cast back
  d.actor = st.Text(14);
  return d;
}

// Steps `st` (bound) to the end, reading each row with `read`.
template <typename T>
StatusOr<std::vector<T>> CollectRows(Statement& st, T (*read)(Statement&)) {
  std::vector<T> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(read(st));
  }
  st.Reset();
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<SqliteDeploymentStore>> SqliteDeploymentStore::Open(const std::string& path,
                                                                             int busy_timeout_ms,
                                                                             Clock& clock) {
  {
    // Creates and migrates the file (and sets WAL mode) the one way every
    // command does.
    ASSIGN_OR_RETURN(auto migrated, SqliteStore::Open(path, {.busy_timeout_ms = busy_timeout_ms}));
  }
  ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, busy_timeout_ms));
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  SqliteDb* raw = db.get();
  return std::unique_ptr<SqliteDeploymentStore>(
      new SqliteDeploymentStore(std::move(db), raw, nullptr, clock));
}

std::unique_ptr<SqliteDeploymentStore> SqliteDeploymentStore::Sharing(SqliteStore& store, Clock& clock) {
  return std::unique_ptr<SqliteDeploymentStore>(
      new SqliteDeploymentStore(nullptr, &store.connection(), &store, clock));
}

Status SqliteDeploymentStore::Begin() {
  if (shared_ != nullptr) return shared_->Begin();
  if (txn_depth_ == 0) RETURN_IF_ERROR(db_->Exec("BEGIN IMMEDIATE"));
  ++txn_depth_;
  return OkStatus();
}

Status SqliteDeploymentStore::Commit() {
  if (shared_ != nullptr) return shared_->Commit();
  if (txn_depth_ == 0) return FailedPreconditionError("Commit without Begin");
  if (--txn_depth_ > 0) return OkStatus();
  Status s = db_->Exec("COMMIT");
  if (!s.ok()) (void)db_->Exec("ROLLBACK");
  return s;
}

Status SqliteDeploymentStore::Rollback() {
  if (shared_ != nullptr) return shared_->Rollback();
  if (txn_depth_ == 0) return OkStatus();
  txn_depth_ = 0;
  return db_->Exec("ROLLBACK");
}

Status SqliteDeploymentStore::InWriteTxn(const std::function<Status()>& fn) {
  RETURN_IF_ERROR(Begin());
  Status s = fn();
  if (!s.ok()) {
    (void)Rollback();
    return s;
  }
  return Commit();
}

// ---- Deployments.

StatusOr<int64_t> SqliteDeploymentStore::PutDeployment(const DeploymentRevision& r,
                                                       std::optional<int64_t> expected_revision) {
  RETURN_IF_ERROR(ValidateRevision(r));
  int64_t written = 0;
  RETURN_IF_ERROR(InWriteTxn([&]() -> Status {
    auto current = CurrentRevision(r.name);
    if (!current.ok() && current.status().code() != StatusCode::kNotFound) return current.status();
    int64_t now_revision = current.ok() ? *current : 0;
    if (expected_revision && *expected_revision != now_revision) {
      return AbortedError(
          fmt::format("deployment '{}' is at revision {}, not {}: it changed meanwhile; re-read it", r.name,
                      now_revision, *expected_revision));
    }
    written = now_revision + 1;
    int64_t at = NowIfZero(r.created_ns);
    ASSIGN_OR_RETURN(
        Statement * ins,
        db_->Prepare("INSERT INTO deployment_revisions(name, revision, config, source, actor, reason, "
                     "decision_id, created_ns) VALUES (?,?,?,?,?,?,?,?)"));
    ins->Bind(1, r.name).Bind(2, written).Bind(3, r.config).Bind(4, r.source).Bind(5, r.actor);
    RETURN_IF_ERROR(ins->Bind(6, r.reason).Bind(7, r.decision_id).Bind(8, at).Run());
    ASSIGN_OR_RETURN(
        Statement * up,
        db_->Prepare("INSERT INTO deployments(name, model, revision, created_ns, updated_ns) "
                     "VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT(name) DO UPDATE SET "
                     "model=excluded.model, revision=excluded.revision, updated_ns=excluded.updated_ns"));
    return up->Bind(1, r.name).Bind(2, r.model).Bind(3, written).Bind(4, at).Run();
  }));
  return written;
}

StatusOr<std::vector<DeploymentRevision>> SqliteDeploymentStore::QueryRevisions(
    const std::string& sql_suffix, const std::function<void(Statement&)>& bind) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare(kRevisionSelect + sql_suffix));
  bind(*st);
  return CollectRows(*st, &ReadRevision);
}

StatusOr<DeploymentRevision> SqliteDeploymentStore::GetDeployment(std::string_view name) {
  ASSIGN_OR_RETURN(auto rows, QueryRevisions("WHERE r.name = ? AND r.revision = d.revision",
                                             [&](Statement& st) { st.Bind(1, name); }));
  if (rows.empty()) return NotFoundError(fmt::format("no deployment '{}'", name));
  return std::move(rows[0]);
}

StatusOr<DeploymentRevision> SqliteDeploymentStore::GetRevision(std::string_view name, int64_t revision) {
  ASSIGN_OR_RETURN(auto rows, QueryRevisions("WHERE r.name = ? AND r.revision = ?",
                                             [&](Statement& st) { st.Bind(1, name).Bind(2, revision); }));
  if (rows.empty()) {
    ASSIGN_OR_RETURN(int64_t current, CurrentRevision(name));
    return NotFoundError(
        fmt::format("deployment '{}' has no revision {} (revisions: 1 to {})", name, revision, current));
  }
  return std::move(rows[0]);
}

StatusOr<std::vector<DeploymentRevision>> SqliteDeploymentStore::ListDeployments() {
  return QueryRevisions("WHERE r.revision = d.revision ORDER BY r.name", [](Statement&) {});
}

StatusOr<std::vector<DeploymentRevision>> SqliteDeploymentStore::Revisions(std::string_view name) {
  return QueryRevisions("WHERE r.name = ? ORDER BY r.revision", [&](Statement& st) { st.Bind(1, name); });
}

StatusOr<int64_t> SqliteDeploymentStore::CurrentRevision(std::string_view name) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT revision FROM deployments WHERE name = ?"));
  st->Bind(1, name);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return NotFoundError(fmt::format("no deployment '{}'", name));
  int64_t revision = st->Int(0);
  st->Reset();
  return revision;
}

// ---- Rollouts.

StatusOr<int64_t> SqliteDeploymentStore::CreateRollout(const Rollout& r) {
  RETURN_IF_ERROR(ValidateRollout(r));
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("INSERT INTO rollouts(deployment, model, candidate_version, champion_version, "
                   "run_id, policy, state, step_index, step_started_ns, baseline, min_p, detail, "
                   "created_ns, updated_ns) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  BindRollout(*st, r);
  int64_t created = NowIfZero(r.created_ns);
  RETURN_IF_ERROR(st->Bind(13, created).Bind(14, r.updated_ns != 0 ? r.updated_ns : created).Run());
  return db_->LastInsertId();
}

Status SqliteDeploymentStore::UpdateRollout(const Rollout& r) {
  RETURN_IF_ERROR(ValidateRollout(r));
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("UPDATE rollouts SET deployment=?, model=?, candidate_version=?, "
                   "champion_version=?, run_id=?, policy=?, state=?, step_index=?, step_started_ns=?, "
                   "baseline=?, min_p=?, detail=?, created_ns=COALESCE(NULLIF(?, 0), created_ns), "
                   "updated_ns=? WHERE id=?"));
  BindRollout(*st, r);
  RETURN_IF_ERROR(st->Bind(13, r.created_ns).Bind(14, NowIfZero(r.updated_ns)).Bind(15, r.id).Run());
  if (db_->Changes() == 0) return NotFoundError(fmt::format("no rollout {}", r.id));
  return OkStatus();
}

StatusOr<std::vector<Rollout>> SqliteDeploymentStore::QueryRollouts(
    const std::string& sql_suffix, const std::function<void(Statement&)>& bind) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare(fmt::format("SELECT {} FROM rollouts {}", kRolloutColumns, sql_suffix)));
  bind(*st);
  return CollectRows(*st, &ReadRollout);
}

StatusOr<Rollout> SqliteDeploymentStore::GetRollout(int64_t id) {
  ASSIGN_OR_RETURN(auto rows, QueryRollouts("WHERE id = ?", [&](Statement& st) { st.Bind(1, id); }));
  if (rows.empty()) return NotFoundError(fmt::format("no rollout {}", id));
  return std::move(rows[0]);
}

StatusOr<std::vector<Rollout>> SqliteDeploymentStore::ListRollouts(std::string_view deployment,
                                                                   bool active_only) {
  return QueryRollouts(fmt::format("WHERE (?1 = '' OR deployment = ?1) {} ORDER BY id DESC",
                                   active_only ? "AND state IN ('infra_gate', 'running', 'paused')" : ""),
                       [&](Statement& st) { st.Bind(1, deployment); });
}

// ---- Decisions.

StatusOr<int64_t> SqliteDeploymentStore::RecordDecision(const Decision& d) {
  RETURN_IF_ERROR(ValidateDecision(d));
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("INSERT INTO decisions(time_ns, kind, deployment, model, model_version, run_id, "
                   "rollout_id, verdict, reason, inputs, thresholds, statistics, seed, actor) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  st->Bind(1, NowIfZero(d.time_ns)).Bind(2, d.kind).Bind(3, d.deployment).Bind(4, d.model);
  st->Bind(5, d.model_version).Bind(6, d.run_id).Bind(7, d.rollout_id).Bind(8, d.verdict).Bind(9, d.reason);
  st->Bind(10, d.inputs).Bind(11, d.thresholds).Bind(12, d.statistics);
  if (d.seed) {
    st->Bind(13, static_cast<int64_t>(*d.seed));  // bit-cast: SQLite integers are signed 64-bit
  } else {
    st->BindNull(13);
  }
  RETURN_IF_ERROR(st->Bind(14, d.actor).Run());
  return db_->LastInsertId();
}

StatusOr<std::vector<Decision>> SqliteDeploymentStore::QueryDecisions(
    const std::string& sql_suffix, const std::function<void(Statement&)>& bind) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare(fmt::format("SELECT {} FROM decisions {}", kDecisionColumns, sql_suffix)));
  bind(*st);
  return CollectRows(*st, &ReadDecision);
}

StatusOr<Decision> SqliteDeploymentStore::GetDecision(int64_t id) {
  ASSIGN_OR_RETURN(auto rows, QueryDecisions("WHERE id = ?", [&](Statement& st) { st.Bind(1, id); }));
  if (rows.empty()) return NotFoundError(fmt::format("no decision {}", id));
  return std::move(rows[0]);
}

StatusOr<std::vector<Decision>> SqliteDeploymentStore::ListDecisions(const DecisionQuery& q) {
  return QueryDecisions(
      "WHERE (?1 = '' OR deployment = ?1) AND (?2 IS NULL OR run_id = ?2) AND (?3 IS NULL OR rollout_id = "
      "?3) "
      "AND (?4 = '' OR kind = ?4) AND (?5 = 0 OR id < ?5) ORDER BY id DESC LIMIT ?6",
      [&](Statement& st) {
        st.Bind(1, q.deployment).Bind(2, q.run_id).Bind(3, q.rollout_id).Bind(4, q.kind).Bind(5, q.before_id);
        st.Bind(6, static_cast<int64_t>(q.limit > 0 ? q.limit : -1));
      });
}

StatusOr<std::vector<DeploymentStore::DecisionCount>> SqliteDeploymentStore::DecisionCounts() {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT deployment, kind, verdict, COUNT(*) FROM decisions "
                                "GROUP BY deployment, kind, verdict ORDER BY deployment, kind, verdict"));
  return CollectRows(
      *st, +[](Statement& row) {
        return DecisionCount{
            .deployment = row.Text(0), .kind = row.Text(1), .verdict = row.Text(2), .count = row.Int(3)};
      });
}

}  // namespace mlpipe::metadata
