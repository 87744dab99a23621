// SqliteStore: MetadataStore on SQLite. WAL journal (readers never block the
// writer), synchronous=NORMAL (durable at checkpoints; a power cut may lose
// the last transactions but never corrupts), foreign keys on, a busy timeout
// so several processes can write, prepared statements cached per connection,
// schema migrated at open (migrations.h).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/metadata/sqlite_db.h"

namespace mlpipe::metadata {

struct SqliteStoreOptions {
  // How long a write waits for another process's transaction. Default 10 s.
  int busy_timeout_ms = 10'000;
  // Migrate up to this schema version; -1 (default) = latest. Tests use it
  // to build an old database.
  int schema_version = -1;
  // Expand runs recorded by CreateReusedRun at open (ExpandReusedRuns), so
  // every reader sees their executions. Only the nothing-changed fast path
  // (engine/run_reuse.h), which writes such runs and reads no executions,
  // opens without.
  bool expand_reused_runs = true;
};

class SqliteStore : public MetadataStore {
 public:
  // Opens or creates the database at `path` (":memory:" for a private one)
  // and migrates it. FailedPrecondition if the file's schema is newer than
  // this program; DataLoss if it is not a database.
  static StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                     SqliteStoreOptions options = {});

  Status Begin() override;
  Status Commit() override;
  Status Rollback() override;

  StatusOr<int64_t> CreateRun(const Run& run) override;
  Status UpdateRun(const Run& run) override;
  StatusOr<Run> GetRun(int64_t id) override;
  StatusOr<std::vector<Run>> ListRuns(int limit, std::string_view pipeline = "") override;
  StatusOr<std::vector<Run>> ListRunsPage(const RunPage& query) override;  // sqlite_store_runs_page.cc
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

  // The schema version of the open database.
  StatusOr<int> schema_version();

  // This store's connection, for another store of the same file that must
  // write in this store's transactions (SqliteDeploymentStore::Sharing: a
  // deployment revision and the alias moves behind it commit together).
  SqliteDb& connection() { return *db_; }

 private:
  explicit SqliteStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  // Runs `fn` inside a write transaction: joins the caller's if one is open,
  // else BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error).
  Status InWriteTxn(const std::function<Status()>& fn);
  // Steps `st` to the end, collecting its first column as text.
  static StatusOr<std::vector<std::string>> FirstColumnTexts(Statement& st);
  // Runs of `SELECT <run columns> FROM runs <sql_suffix>`, bound by `bind`.
  // `once`: a statement for this call only (SqliteDb::PrepareOnce), for a
  // suffix whose shape a client chooses.
  StatusOr<std::vector<Run>> QueryRuns(const std::string& sql_suffix,
                                       const std::function<void(Statement&)>& bind, bool once = false);
  StatusOr<std::vector<Execution>> QueryExecutions(const std::string& sql_suffix,
                                                   const std::function<void(Statement&)>& bind,
                                                   int limit = 0);
  StatusOr<std::vector<ArtifactVersion>> QueryVersions(const std::string& sql_suffix,
                                                       const std::function<void(Statement&)>& bind);
  StatusOr<std::vector<LineageEdge>> QueryEdges(const std::string& sql, std::string_view ref);
  StatusOr<std::vector<ModelVersion>> QueryModelVersions(const std::string& sql_suffix,
                                                         const std::function<void(Statement&)>& bind);
  StatusOr<std::vector<AliasChange>> QueryAliasChanges(const std::string& sql_suffix,
                                                       const std::function<void(Statement&)>& bind);
  // The alias's current version, nullopt if unset.
  StatusOr<std::optional<int64_t>> CurrentAlias(std::string_view name, std::string_view alias);
  Status RequireModel(std::string_view name);
  // Writes the cached executions and events of reused run `run` (reusing
  // `reused`, recorded at `at_ns`). Inside a write transaction.
  Status ExpandReusedRun(int64_t run, int64_t reused, int64_t at_ns);
  // Writes the alias row (or deletes it for nullopt) and a history row.
  StatusOr<AliasChange> MoveAlias(std::string_view name, std::string_view alias, std::optional<int64_t> from,
                                  std::optional<int64_t> to, std::string_view reason, int64_t changed_ns);

  std::unique_ptr<SqliteDb> db_;
  int txn_depth_ = 0;         // nesting of Begin calls
  bool txn_aborted_ = false;  // a nested Rollback happened; the outer Commit must fail
};

}  // namespace mlpipe::metadata
