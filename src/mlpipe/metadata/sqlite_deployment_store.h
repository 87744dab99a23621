// SqliteDeploymentStore: DeploymentStore on the workspace's SQLite metadata
// file (schema v7).
//
// Two ways to get one:
//   Open(path)      its own connection (SqliteStore::Open migrates the file
//                   first), like SqliteControlStore: the server's controller
//                   and `mlpipe serve` polling CurrentRevision.
//   Sharing(store)  the connection of a SqliteStore of the same file, whose
//                   transactions it joins: Begin/Commit/Rollback are the
//                   store's (nesting like a Transaction), so a deployment
//                   revision, its decision record and the registry's alias
//                   moves commit as one (`mlpipe deployments promote`). Two
//                   connections cannot: each would hold its own write lock.
//
// Times given as 0 are read from the clock (wall time).
//
// Thread-safety: an instance is one connection; use one per thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "mlpipe/base/clock.h"
#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/metadata/sqlite_db.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {

class SqliteDeploymentStore : public DeploymentStore {
 public:
  // Opens (creating and migrating if needed) the database at `path`.
  static StatusOr<std::unique_ptr<SqliteDeploymentStore>> Open(const std::string& path,
                                                               int busy_timeout_ms = 10'000,
                                                               Clock& clock = RealClock());
  // Works on `store`'s connection and in its transactions; `store` must
  // outlive the result.
  static std::unique_ptr<SqliteDeploymentStore> Sharing(SqliteStore& store, Clock& clock = RealClock());

  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;

  StatusOr<int64_t> PutDeployment(const DeploymentRevision& r,
                                  std::optional<int64_t> expected_revision) override;
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
  SqliteDeploymentStore(std::unique_ptr<SqliteDb> owned, SqliteDb* db, SqliteStore* shared, Clock& clock)
      : owned_(std::move(owned)), db_(db), shared_(shared), clock_(clock) {}

  // Runs `fn` in a write transaction: joins the open one, else Begin ... Commit
  // (Rollback on error).
  Status InWriteTxn(const std::function<Status()>& fn);
  int64_t NowIfZero(int64_t ns) const { return ns != 0 ? ns : clock_.WallNanos(); }
  StatusOr<std::vector<DeploymentRevision>> QueryRevisions(const std::string& sql_suffix,
                                                           const std::function<void(Statement&)>& bind);
  StatusOr<std::vector<Rollout>> QueryRollouts(const std::string& sql_suffix,
                                               const std::function<void(Statement&)>& bind);
  StatusOr<std::vector<Decision>> QueryDecisions(const std::string& sql_suffix,
                                                 const std::function<void(Statement&)>& bind);

  std::unique_ptr<SqliteDb> owned_;  // null when sharing
  SqliteDb* db_;
  SqliteStore* shared_;  // the store whose transactions this one joins; null when owning
  Clock& clock_;
  int txn_depth_ = 0;  // nesting of Begin calls on an owned connection
};

}  // namespace mlpipe::metadata
