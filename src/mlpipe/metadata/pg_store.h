// PgStore: MetadataStore on PostgreSQL (libpq), for several runners and a
// server in different processes (and machines) sharing one record of runs,
// artifacts and models. One connection per instance, statements prepared
// once per connection, schema migrated at open (pg_migrations.h).
//
// Concurrency (the choice, and why): transactions run at READ COMMITTED, and
// what must be numbered or moved without a lost update is serialized by a
// lock on exactly what it numbers, taken before it reads:
//   - run, execution, event, cache-entry and alias-history ids: identity
//     columns (sequences never hand out a number twice);
//   - artifact versions: a transaction-level advisory lock on the name (an
//     artifact name has no row of its own to lock);
//   - model versions and aliases: a row lock (SELECT ... FOR UPDATE) on the
//     registered model's row;
//   - reused-run expansion: row locks on the runs still to expand.
// Writers of the same name wait for each other instead of failing, so a
// batch of writes in one Transaction (what the engine's recorder does) never
// has to be retried, which SERIALIZABLE would demand on every conflict; each
// statement after the lock sees what the previous holder committed. Unique
// constraints ((name, version), (name, ref)) back every number up.
//
// Failures: the retry policy and transactions of PgSession (pg_session.h):
// a call outside a Transaction retries a serialization failure, a deadlock
// or (once) a dropped connection; inside one the error goes up and the
// transaction can only be rolled back.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/metadata/pg_conn.h"
#include "mlpipe/metadata/pg_session.h"

namespace mlpipe::metadata {

struct PgStoreOptions {
  // The schema (namespace) holding the tables, created if missing; "" (the
  // default) uses the URL's search_path, normally "public". Tests give each
  // store a private one.
  std::string schema;
  // As SqliteStoreOptions::expand_reused_runs. Default true.
  bool expand_reused_runs = true;
  // How many times a call outside a Transaction retries a serialization
  // failure or deadlock. Default 8.
  int max_retries = 8;
};

class PgStore : public MetadataStore {
 public:
  // Connects to `url` (postgresql://USER:PASSWORD@HOST:PORT/DB?...) and
  // migrates the schema. InvalidArgument if it cannot connect (unreachable,
  // refused login, missing database: PgConn::Connect's message, never the
  // password); FailedPrecondition if the schema is newer than this program.
  static StatusOr<std::unique_ptr<PgStore>> Open(const std::string& url, PgStoreOptions options = {});

  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;

  StatusOr<int64_t> CreateRun(const Run& run) override;
  Status UpdateRun(const Run& run) override;
  StatusOr<Run> GetRun(int64_t id) override;
  StatusOr<std::vector<Run>> ListRuns(int limit, std::string_view pipeline = "") override;
  StatusOr<std::vector<Run>> ListRunsPage(const RunPage& query) override;
  Status DeleteRun(int64_t id) override;

  StatusOr<int64_t> CreateReusedRun(const Run& run, int64_t reused) override;
  StatusOr<int> ExpandReusedRuns() override;
  Status PutRunStamp(const RunStamp& stamp) override;
  StatusOr<std::optional<RunStamp>> GetRunStamp(std::string_view invocation) override;

  StatusOr<int64_t> CreateExecution(const Execution& execution) override;
  Status UpdateExecution(const Execution& execution) override;
  Status SetExecutionResult(int64_t id, const ExecutionResult& result) override;
  StatusOr<Execution> GetExecution(int64_t id) override;
  StatusOr<std::vector<Execution>> ListExecutions(int64_t run_id) override;
  StatusOr<Execution> LastExecution(std::string_view pipeline, std::string_view step) override;
  StatusOr<std::pair<int64_t, std::string>> LastExecutionKey(std::string_view pipeline,
                                                             std::string_view step) override;
  StatusOr<RecentKeys> RecentExecutionKeys(std::string_view pipeline, int runs) override;

  Status PutArtifact(const Artifact& artifact) override;
  StatusOr<Artifact> GetArtifact(std::string_view ref) override;
  StatusOr<ArtifactVersion> AssignVersion(std::string_view name, std::string_view ref,
                                          std::optional<int64_t> execution_id, int64_t created_ns) override;
  StatusOr<ResolvedArtifact> ResolveArtifact(std::string_view text) override;
  StatusOr<std::vector<ArtifactVersion>> ListArtifactVersions(std::string_view name_prefix = "") override;
  StatusOr<std::vector<ArtifactVersion>> VersionsOf(std::string_view ref) override;

  Status RecordEvents(const std::vector<Event>& events) override;
  StatusOr<std::vector<Event>> EventsForExecution(int64_t execution_id) override;
  StatusOr<std::vector<LineageEdge>> Upstream(std::string_view ref) override;
  StatusOr<std::vector<LineageEdge>> Downstream(std::string_view ref) override;

  Status RecordParams(const std::vector<Param>& params) override;
  StatusOr<std::vector<Param>> ParamsForRun(int64_t run_id) override;
  Status RecordMetrics(const std::vector<Metric>& metrics) override;
  StatusOr<std::vector<Metric>> MetricsForRun(int64_t run_id) override;
  StatusOr<std::vector<Metric>> MetricsForExecutions(const std::vector<int64_t>& execution_ids) override;

  Status RecordCacheEntry(std::string_view key, int64_t execution_id, int64_t created_ns) override;
  StatusOr<CacheHit> LookupCache(std::string_view key) override;
  StatusOr<std::vector<CacheHit>> CacheCandidates(std::string_view key, int limit) override;
  StatusOr<std::map<std::string, CacheHit>> NewestCacheHits(const std::vector<std::string>& keys) override;

  StatusOr<std::vector<std::string>> ReferencedRefs() override;

  Status RecordObjectRemoval(const ObjectRemoval& removal) override;
  StatusOr<std::optional<ObjectRemoval>> LastObjectRemoval(std::string_view ref) override;
  StatusOr<std::vector<std::string>> RemovedRefs() override;
  StatusOr<std::vector<std::string>> CheckIntegrity() override;
  StatusOr<int64_t> HighestRunIdEver() override;
  StatusOr<std::vector<int64_t>> DropCacheEntriesFor(std::string_view ref) override;

  StatusOr<ModelVersion> RegisterModelVersion(const ModelVersion& version, std::string_view description,
                                              bool* created = nullptr) override;
  StatusOr<std::vector<RegisteredModel>> ListRegisteredModels() override;
  StatusOr<RegisteredModelDetail> GetRegisteredModel(std::string_view name) override;
  StatusOr<ModelVersion> ResolveModel(std::string_view text) override;
  StatusOr<std::vector<ModelVersion>> ModelVersionsOf(std::string_view ref) override;
  StatusOr<AliasChange> SetAlias(std::string_view name, std::string_view alias, int64_t version,
                                 std::string_view reason, int64_t changed_ns) override;
  StatusOr<AliasChange> DeleteAlias(std::string_view name, std::string_view alias, std::string_view reason,
                                    int64_t changed_ns) override;
  StatusOr<AliasChange> RollbackAlias(std::string_view name, std::string_view alias,
                                      int64_t changed_ns) override;
  StatusOr<std::vector<AliasChange>> AliasHistory(std::string_view name,
                                                  std::string_view alias = "") override;
  StatusOr<int64_t> RegistryGeneration() override;
  // Each step's records commit on their own: a batch of several steps would
  // hold the locks of every name it versioned until its commit, and two runs
  // of one pipeline finishing steps in opposite orders would deadlock.
  int64_t MaxBatchAgeNs() const override { return 0; }

  // The server process of this store's connection (tests end it to
  // exercise reconnection).
  int backend_pid() { return session_.conn().backend_pid(); }
  // The connection and its transactions, for a store that joins them
  // (PgDeploymentStore::Sharing).
  PgSession& session() { return session_; }

 private:
  PgStore(std::unique_ptr<PgConn> conn, PgStoreOptions options)
      : session_(std::move(conn), options.max_retries), options_(std::move(options)) {}

  // The body of one public call, and a transaction inside one (PgSession).
  Status Call(const std::function<Status()>& fn) { return session_.Call(fn); }
  template <typename T>
  StatusOr<T> CallFor(const std::function<StatusOr<T>()>& fn) {
    return session_.CallFor<T>(fn);
  }
  Status InTxn(const std::function<Status()>& fn) { return session_.InTxn(fn); }
  StatusOr<PgResult> Q(const std::string& sql, const PgParams& params = {}) {
    return session_.Query(sql, params);
  }

  // `once`: prepared for this call only (PgConn::QueryOnce), for a suffix whose
  // shape a client chooses.
  StatusOr<std::vector<Run>> QueryRuns(const std::string& sql_suffix, const PgParams& params,
                                       bool once = false);
  StatusOr<std::vector<Execution>> QueryExecutions(const std::string& sql_suffix, const PgParams& params);
  StatusOr<std::vector<ArtifactVersion>> QueryVersions(const std::string& sql_suffix, const PgParams& params);
  StatusOr<std::vector<LineageEdge>> QueryEdges(const std::string& sql, std::string_view ref);
  StatusOr<std::vector<ModelVersion>> QueryModelVersions(const std::string& sql_suffix,
                                                         const PgParams& params);
  StatusOr<std::vector<AliasChange>> QueryAliasChanges(const std::string& sql_suffix, const PgParams& params);
  StatusOr<std::vector<Event>> QueryEvents(const std::string& sql_suffix, const PgParams& params);
  StatusOr<std::vector<CacheHit>> CacheCandidatesIn(std::string_view key, int limit);
  StatusOr<std::vector<Metric>> QueryMetrics(const std::string& sql, const PgParams& params);
  // NotFound (with a close name) unless the model exists. With `lock`, also
  // takes the model row's lock until the transaction ends.
  Status RequireModel(std::string_view name, bool lock = false);
  StatusOr<std::optional<int64_t>> CurrentAlias(std::string_view name, std::string_view alias);
  StatusOr<AliasChange> MoveAlias(std::string_view name, std::string_view alias, std::optional<int64_t> from,
                                  std::optional<int64_t> to, std::string_view reason, int64_t changed_ns);
  StatusOr<int> ExpandReusedRunsIn();
  Status ExpandReusedRun(int64_t run, int64_t reused, int64_t at_ns);

  PgSession session_;
  PgStoreOptions options_;
};

}  // namespace mlpipe::metadata
