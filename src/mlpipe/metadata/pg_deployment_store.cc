#include "mlpipe/metadata/pg_deployment_store.h"

#include <fmt/format.h>

#include "mlpipe/metadata/deployment_records.h"

namespace mlpipe::metadata {
namespace {

// The advisory lock key of a deployment's revisions: ("mlpd", hash of the name).
constexpr int kPgDeploymentLock = 0x6d6c7064;

// r.name, r.revision, r.config, r.source, r.actor, r.reason, r.decision_id,
// r.created_ns, d.model (the deployment's model now).
constexpr const char* kPgRevisionSelect =
    "SELECT r.name, r.revision, r.config, r.source, r.actor, r.reason, r.decision_id, r.created_ns, d.model "
    "FROM deployment_revisions r JOIN deployments d ON d.name = r.name ";

constexpr const char* kPgRolloutColumns =
    "id, deployment, model, candidate_version, champion_version, run_id, policy, state, step_index, "
    "step_started_ns, baseline, min_p, detail, created_ns, updated_ns";

constexpr const char* kPgDecisionColumns =
    "id, time_ns, kind, deployment, model, model_version, run_id, rollout_id, verdict, reason, inputs, "
    "thresholds, statistics, seed, actor";

DeploymentRevision PgReadRevision(const PgResult& r, int i) {
  DeploymentRevision d;
  d.name = r.Text(i, 0);
  d.revision = r.Int(i, 1);
  d.config = r.Text(i, 2);
  d.source = r.Text(i, 3);
  d.actor = r.Text(i, 4);
  d.reason = r.Text(i, 5);
  d.decision_id = r.OptInt(i, 6);
  d.created_ns = r.Int(i, 7);
  d.model = RevisionModel(d.config, r.Text(i, 8));
  return d;
}

Rollout PgReadRollout(const PgResult& r, int i) {
  Rollout o;
  o.id = r.Int(i, 0);
  o.deployment = r.Text(i, 1);
  o.model = r.Text(i, 2);
  o.candidate_version = r.Int(i, 3);
  o.champion_version = r.OptInt(i, 4);
  o.run_id = r.OptInt(i, 5);
  o.policy = r.Text(i, 6);
  o.state = r.Text(i, 7);
  o.step_index = static_cast<int>(r.Int(i, 8));
  o.step_started_ns = r.Int(i, 9);
  o.baseline = r.Text(i, 10);
  o.min_p = r.Text(i, 11);
  o.detail = r.Text(i, 12);
  o.created_ns = r.Int(i, 13);
  o.updated_ns = r.Int(i, 14);
  return o;
}

// $1..$12: every column but id, created_ns and updated_ns.
PgParams PgRolloutParams(const Rollout& o) {
  PgParams p;
  p.Add(o.deployment).Add(o.model).Add(o.candidate_version).Add(o.champion_version).Add(o.run_id).Add(o.policy);
  p.Add(o.state).Add(o.step_index).Add(o.step_started_ns).Add(o.baseline).Add(o.min_p).Add(o.detail);
  return p;
}

Decision PgReadDecision(const PgResult& r, int i) {
  Decision d;
  d.id = r.Int(i, 0);
  d.time_ns = r.Int(i, 1);
  d.kind = r.Text(i, 2);
  d.deployment = r.Text(i, 3);
  d.model = r.Text(i, 4);
  d.model_version = r.OptInt(i, 5);
  d.run_id = r.OptInt(i, 6);
  d.rollout_id = r.OptInt(i, 7);
  d.verdict = r.Text(i, 8);
  d.reason = r.Text(i, 9);
  d.inputs = r.Text(i, 10);
  d.thresholds = r.Text(i, 11);
  d.statistics = r.Text(i, 12);
  if (auto seed = r.OptInt(i, 13)) d.seed = static_cast<uint64_t>(*seed);  // bit-cast back
  d.actor = r.Text(i, 14);
  return d;
}

template <typename T>
std::vector<T> PgDeploymentRows(const PgResult& r, T (*read)(const PgResult&, int)) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(read(r, i));
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<PgDeploymentStore>> PgDeploymentStore::Open(const std::string& url,
                                                                     const PgStoreOptions& options, Clock& clock) {
  ASSIGN_OR_RETURN(auto conn, PgConnectMigrated(url, options.schema));
  auto session = std::make_unique<PgSession>(std::move(conn), options.max_retries);
  PgSession* raw = session.get();
  return std::unique_ptr<PgDeploymentStore>(new PgDeploymentStore(std::move(session), raw, clock));
}

std::unique_ptr<PgDeploymentStore> PgDeploymentStore::Sharing(PgStore& store, Clock& clock) {
  return std::unique_ptr<PgDeploymentStore>(new PgDeploymentStore(nullptr, &store.session(), clock));
}

Status PgDeploymentStore::Begin() { return session_.Begin(); }
Status PgDeploymentStore::Commit() { return session_.Commit(); }
Status PgDeploymentStore::Rollback() { return session_.Rollback(); }

// ---- Deployments.

StatusOr<std::optional<int64_t>> PgDeploymentStore::ReadCurrentRevision(std::string_view name) {
  ASSIGN_OR_RETURN(PgResult r, session_.Query("SELECT revision FROM deployments WHERE name = $1", PgParams().Add(name)));
  if (r.rows() == 0) return std::optional<int64_t>();
  return std::optional<int64_t>(r.Int(0, 0));
}

StatusOr<int64_t> PgDeploymentStore::PutDeployment(const DeploymentRevision& r,
                                                   std::optional<int64_t> expected_revision) {
  RETURN_IF_ERROR(ValidateRevision(r));
  return session_.CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    int64_t written = 0;
    RETURN_IF_ERROR(session_.InTxn([&]() -> Status {
      // Held to the end of the transaction; the statement after it sees
      // every revision committed before.
      RETURN_IF_ERROR(session_
                          .Query("SELECT pg_advisory_xact_lock($1, hashtext($2))",
                                 PgParams().Add(kPgDeploymentLock).Add(r.name))
                          .status());
      ASSIGN_OR_RETURN(std::optional<int64_t> current, ReadCurrentRevision(r.name));
      const int64_t now_revision = current.value_or(0);
      if (expected_revision && *expected_revision != now_revision) {
        return AbortedError(
            fmt::format("deployment '{}' is at revision {}, not {}: it changed meanwhile; re-read it", r.name,
                        now_revision, *expected_revision));
      }
      written = now_revision + 1;
      const int64_t at = NowIfZero(r.created_ns);
      RETURN_IF_ERROR(session_
                          .Query("INSERT INTO deployment_revisions(name, revision, config, source, actor, reason, "
                                 "decision_id, created_ns) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
                                 PgParams()
                                     .Add(r.name)
                                     .Add(written)
                                     .Add(r.config)
                                     .Add(r.source)
                                     .Add(r.actor)
                                     .Add(r.reason)
                                     .Add(r.decision_id)
                                     .Add(at))
                          .status());
      return session_
          .Query("INSERT INTO deployments(name, model, revision, created_ns, updated_ns) VALUES ($1, $2, $3, $4, $4) "
                 "ON CONFLICT (name) DO UPDATE SET model = excluded.model, revision = excluded.revision, "
                 "updated_ns = excluded.updated_ns",
                 PgParams().Add(r.name).Add(r.model).Add(written).Add(at))
          .status();
    }));
    return written;
  });
}

StatusOr<std::vector<DeploymentRevision>> PgDeploymentStore::QueryRevisions(const std::string& sql_suffix,
                                                                            const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r, session_.Query(fmt::format("{}{}", kPgRevisionSelect, sql_suffix), params));
  return PgDeploymentRows(r, &PgReadRevision);
}

StatusOr<DeploymentRevision> PgDeploymentStore::GetDeployment(std::string_view name) {
  return session_.CallFor<DeploymentRevision>([&]() -> StatusOr<DeploymentRevision> {
    ASSIGN_OR_RETURN(auto rows, QueryRevisions("WHERE r.name = $1 AND r.revision = d.revision", PgParams().Add(name)));
    if (rows.empty()) return NotFoundError(fmt::format("no deployment '{}'", name));
    return std::move(rows[0]);
  });
}

StatusOr<DeploymentRevision> PgDeploymentStore::GetRevision(std::string_view name, int64_t revision) {
  return session_.CallFor<DeploymentRevision>([&]() -> StatusOr<DeploymentRevision> {
    ASSIGN_OR_RETURN(auto rows,
                     QueryRevisions("WHERE r.name = $1 AND r.revision = $2", PgParams().Add(name).Add(revision)));
    if (!rows.empty()) return std::move(rows[0]);
    ASSIGN_OR_RETURN(std::optional<int64_t> current, ReadCurrentRevision(name));
    if (!current) return NotFoundError(fmt::format("no deployment '{}'", name));
    return NotFoundError(
        fmt::format("deployment '{}' has no revision {} (revisions: 1 to {})", name, revision, *current));
  });
}

StatusOr<std::vector<DeploymentRevision>> PgDeploymentStore::ListDeployments() {
  return session_.CallFor<std::vector<DeploymentRevision>>(
      [&] { return QueryRevisions("WHERE r.revision = d.revision ORDER BY r.name", PgParams()); });
}

StatusOr<std::vector<DeploymentRevision>> PgDeploymentStore::Revisions(std::string_view name) {
  return session_.CallFor<std::vector<DeploymentRevision>>(
      [&] { return QueryRevisions("WHERE r.name = $1 ORDER BY r.revision", PgParams().Add(name)); });
}

StatusOr<int64_t> PgDeploymentStore::CurrentRevision(std::string_view name) {
  return session_.CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    ASSIGN_OR_RETURN(std::optional<int64_t> current, ReadCurrentRevision(name));
    if (!current) return NotFoundError(fmt::format("no deployment '{}'", name));
    return *current;
  });
}

// ---- Rollouts.

StatusOr<int64_t> PgDeploymentStore::CreateRollout(const Rollout& o) {
  RETURN_IF_ERROR(ValidateRollout(o));
  const int64_t created = NowIfZero(o.created_ns);
  PgParams p = PgRolloutParams(o);
  p.Add(created).Add(o.updated_ns != 0 ? o.updated_ns : created);
  return session_.CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, session_.Query("INSERT INTO rollouts(deployment, model, candidate_version, "
                                                "champion_version, run_id, policy, state, step_index, "
                                                "step_started_ns, baseline, min_p, detail, created_ns, updated_ns) "
                                                "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id",
                                                p));
    return r.Int(0, 0);
  });
}

Status PgDeploymentStore::UpdateRollout(const Rollout& o) {
  RETURN_IF_ERROR(ValidateRollout(o));
  PgParams p = PgRolloutParams(o);
  p.Add(o.created_ns).Add(NowIfZero(o.updated_ns)).Add(o.id);
  return session_.Call([&]() -> Status {
    ASSIGN_OR_RETURN(PgResult r, session_.Query("UPDATE rollouts SET deployment=$1, model=$2, candidate_version=$3, "
                                                "champion_version=$4, run_id=$5, policy=$6, state=$7, "
                                                "step_index=$8, step_started_ns=$9, baseline=$10, min_p=$11, "
                                                "detail=$12, created_ns=COALESCE(NULLIF($13::bigint, 0), "
                                                "created_ns), updated_ns=$14 WHERE id=$15",
                                                p));
    if (r.affected() == 0) return NotFoundError(fmt::format("no rollout {}", o.id));
    return OkStatus();
  });
}

StatusOr<std::vector<Rollout>> PgDeploymentStore::QueryRollouts(const std::string& sql_suffix,
                                                                const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r,
                   session_.Query(fmt::format("SELECT {} FROM rollouts {}", kPgRolloutColumns, sql_suffix), params));
  return PgDeploymentRows(r, &PgReadRollout);
}

StatusOr<Rollout> PgDeploymentStore::GetRollout(int64_t id) {
  return session_.CallFor<Rollout>([&]() -> StatusOr<Rollout> {
    ASSIGN_OR_RETURN(auto rows, QueryRollouts("WHERE id = $1", PgParams().Add(id)));
    if (rows.empty()) return NotFoundError(fmt::format("no rollout {}", id));
    return std::move(rows[0]);
  });
}

StatusOr<std::vector<Rollout>> PgDeploymentStore::ListRollouts(std::string_view deployment, bool active_only) {
  return session_.CallFor<std::vector<Rollout>>([&] {
    return QueryRollouts(fmt::format("WHERE ($1 = '' OR deployment = $1) {} ORDER BY id DESC",
                                     active_only ? "AND state IN ('infra_gate', 'running', 'paused')" : ""),
                         PgParams().Add(deployment));
  });
}

// ---- Decisions.

StatusOr<int64_t> PgDeploymentStore::RecordDecision(const Decision& d) {
  RETURN_IF_ERROR(ValidateDecision(d));
  PgParams p;
  p.Add(NowIfZero(d.time_ns)).Add(d.kind).Add(d.deployment).Add(d.model).Add(d.model_version).Add(d.run_id);
  p.Add(d.rollout_id).Add(d.verdict).Add(d.reason).Add(d.inputs).Add(d.thresholds).Add(d.statistics);
  if (d.seed) {
    p.Add(static_cast<int64_t>(*d.seed));  // bit-cast: BIGINT is signed 64-bit
  } else {
    p.AddNull();
  }
  p.Add(d.actor);
  return session_.CallFor<int64_t>([&]() -> StatusOr<int64_t> {
    ASSIGN_OR_RETURN(PgResult r, session_.Query("INSERT INTO decisions(time_ns, kind, deployment, model, "
                                                "model_version, run_id, rollout_id, verdict, reason, inputs, "
                                                "thresholds, statistics, seed, actor) "
                                                "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id",
                                                p));
    return r.Int(0, 0);
  });
}

StatusOr<std::vector<Decision>> PgDeploymentStore::QueryDecisions(const std::string& sql_suffix,
                                                                  const PgParams& params) {
  ASSIGN_OR_RETURN(PgResult r, session_.Query(
                                   fmt::format("SELECT {} FROM decisions {}", kPgDecisionColumns, sql_suffix), params));
  return PgDeploymentRows(r, &PgReadDecision);
}

StatusOr<Decision> PgDeploymentStore::GetDecision(int64_t id) {
  return session_.CallFor<Decision>([&]() -> StatusOr<Decision> {
    ASSIGN_OR_RETURN(auto rows, QueryDecisions("WHERE id = $1", PgParams().Add(id)));
    if (rows.empty()) return NotFoundError(fmt::format("no decision {}", id));
    return std::move(rows[0]);
  });
}

StatusOr<std::vector<Decision>> PgDeploymentStore::ListDecisions(const DecisionQuery& q) {
  PgParams p;
  p.Add(q.deployment).Add(q.run_id).Add(q.rollout_id).Add(q.kind).Add(q.before_id);
  p.Add(q.limit > 0 ? std::optional<int>(q.limit) : std::nullopt);
  return session_.CallFor<std::vector<Decision>>([&] {
    return QueryDecisions(
        "WHERE ($1 = '' OR deployment = $1) AND ($2::bigint IS NULL OR run_id = $2) AND "
        "($3::bigint IS NULL OR rollout_id = $3) AND ($4 = '' OR kind = $4) AND ($5::bigint = 0 OR id < $5) "
        "ORDER BY id DESC LIMIT $6",
        p);
  });
}

StatusOr<std::vector<DeploymentStore::DecisionCount>> PgDeploymentStore::DecisionCounts() {
  using Counts = std::vector<DecisionCount>;
  return session_.CallFor<Counts>([&]() -> StatusOr<Counts> {
    ASSIGN_OR_RETURN(PgResult r, session_.Query("SELECT deployment, kind, verdict, COUNT(*) FROM decisions "
                                                "GROUP BY deployment, kind, verdict ORDER BY deployment, kind, verdict"));
    Counts out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back({.deployment = r.Text(i, 0), .kind = r.Text(i, 1), .verdict = r.Text(i, 2), .count = r.Int(i, 3)});
    }
    return out;
  });
}

}  // namespace mlpipe::metadata
