// PgDeploymentStore: DeploymentStore on PostgreSQL, beside PgStore's tables
// in the same database and schema (pg_migrations.cc v3), so every workspace
// on a shared database sees the same deployments, rollouts and decisions.
//
// Two ways to get one, as with SqliteDeploymentStore:
//   Open(url)       its own connection: `mlpipe run`'s deploy gate, `mlpipe
//                   serve` polling CurrentRevision, the server's readers.
//   Sharing(store)  the session of a PgStore, whose transactions it joins,
//                   so a deployment revision, its decision record and the
//                   registry's alias moves commit as one.
//
// Revisions: a writer takes a transaction-level advisory lock on the
// deployment's name before it reads the current revision, so two writers
// of one deployment (the server's rollout controller and `mlpipe
// deployments set-weights` on another machine) are serialized and the
// optimistic lock (expected_revision) sees what the other committed.
//
// Times given as 0 are read from the clock (wall time).
//
// Thread-safety: an instance is one connection; use one per thread.
#pragma once

#include <memory>
#include <string>

#include "mlpipe/base/clock.h"
#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/metadata/pg_session.h"
#include "mlpipe/metadata/pg_store.h"

namespace mlpipe::metadata {

class PgDeploymentStore : public DeploymentStore {
 public:
  // Connects to `url` and migrates the schema (PgStore::Open's errors);
  // `options.schema` and `options.max_retries` apply.
  static StatusOr<std::unique_ptr<PgDeploymentStore>> Open(const std::string& url,
                                                           const PgStoreOptions& options = {},
                                                           Clock& clock = RealClock());
  // Works in `store`'s session and its transactions; `store` must outlive
  // the result.
  static std::unique_ptr<PgDeploymentStore> Sharing(PgStore& store, Clock& clock = RealClock());

  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;

  StatusOr<int64_t> PutDeployment(const DeploymentRevision& r, std::optional<int64_t> expected_revision) override;
  StatusOr<DeploymentRevision> GetDeployment(std::string_view name) override;
  StatusOr<DeploymentRevision> GetRevision(std::string_view name, int64_t revision) override;
  StatusOr<std::vector<DeploymentRevision>> ListDeployments() override;
  StatusOr<std::vector<DeploymentRevision>> Revisions(std::string_view name) override;
  StatusOr<int64_t> CurrentRevision(std::string_view name) override;

  StatusOr<int64_t> CreateRollout(const Rollout& r) override;
  Status UpdateRollout(const Rollout& r) override;
  StatusOr<Rollout> GetRollout(int64_t id) override;
  StatusOr<std::vector<Rollout>> ListRollouts(std::string_view deployment, bool active_only) override;

  StatusOr<int64_t> RecordDecision(const Decision& d) override;
  StatusOr<Decision> GetDecision(int64_t id) override;
  StatusOr<std::vector<Decision>> ListDecisions(const DecisionQuery& q) override;
  StatusOr<std::vector<DecisionCount>> DecisionCounts() override;

 private:
  PgDeploymentStore(std::unique_ptr<PgSession> owned, PgSession* session, Clock& clock)
      : owned_(std::move(owned)), session_(*session), clock_(clock) {}

  int64_t NowIfZero(int64_t ns) const { return ns != 0 ? ns : clock_.WallNanos(); }
  // The current revision of `name`, nullopt if there is no such deployment
  // (for use inside a Call).
  StatusOr<std::optional<int64_t>> ReadCurrentRevision(std::string_view name);
  StatusOr<std::vector<DeploymentRevision>> QueryRevisions(const std::string& sql_suffix, const PgParams& params);
  StatusOr<std::vector<Rollout>> QueryRollouts(const std::string& sql_suffix, const PgParams& params);
  StatusOr<std::vector<Decision>> QueryDecisions(const std::string& sql_suffix, const PgParams& params);

  std::unique_ptr<PgSession> owned_;  // null when sharing
  PgSession& session_;
  Clock& clock_;
};

}  // namespace mlpipe::metadata
