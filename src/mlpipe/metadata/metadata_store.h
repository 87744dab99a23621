// MetadataStore: runs, executions, artifacts and their versions, lineage
// events, params, metrics and cache entries. An abstract interface: SQLite
// now (sqlite_store.h), PostgreSQL later, both held to one conformance suite
// (metadata_store_conformance_test.cc).
//
// Errors: NotFound for a missing id/ref/name; InvalidArgument for a malformed
// argument; FailedPrecondition when a referenced row is missing (e.g. an event
// for an artifact never put); Unavailable when the database stayed busy past
// the busy timeout; DataLoss for a damaged database.
//
// Transactions: every call is atomic on its own. To batch writes (much faster
// and all-or-nothing), wrap them in a Transaction; calls inside one see their
// own writes. Nested Transactions join the outer one.
//
// Thread-safety: an instance is NOT thread-safe (one connection); use one per
// thread, or call from one thread. Any number of instances and processes may
// use the same database at once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/records.h"
#include "mlpipe/metadata/run_condition.h"

namespace mlpipe::metadata {

// One page of runs, newest first, for a paginated list (the server's
// /api/v1/runs): keyset pagination on the run id, so a page costs the same
// however deep it is and runs added between pages never shift it.
struct RunPage {
  std::string pipeline;             // "" = any
  std::vector<RunStatus> statuses;  // empty = any; else any of these (as stored)
  // "" = any; "manual" = runs with no trigger recorded (started by hand) or
  // whose trigger starts with the word "manual"; else runs whose trigger is
  // this word or starts with it and a space ("schedule", "webhook", ...).
  std::string trigger;
  std::optional<int64_t> before_id;  // only runs with a smaller id (the last id of the previous page)
  int limit = 50;                    // at most this many; <= 0 means all
  // Every one must hold: conditions on params and final metric values,
  // evaluated in SQL (run_condition_sql.h).
  std::vector<RunCondition> conditions;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // ---- Transactions (prefer the Transaction RAII type below).
  // Begin takes the write lock at once (so a later write never fails busy).
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;

  // ---- Runs.
  // Stores `run` (its id is ignored) and returns the new id.
  virtual StatusOr<int64_t> CreateRun(const Run& run) = 0;
  // Overwrites every field of run `run.id`. NotFound if absent.
  virtual Status UpdateRun(const Run& run) = 0;
  virtual StatusOr<Run> GetRun(int64_t id) = 0;
  // Newest first; `limit` <= 0 means all; `pipeline` "" means any.
  virtual StatusOr<std::vector<Run>> ListRuns(int limit, std::string_view pipeline = "") = 0;
  // The runs that match `query`, newest (highest id) first.
  virtual StatusOr<std::vector<Run>> ListRunsPage(const RunPage& query) = 0;
  // Removes the run with its executions, events, params, metrics and cache
  // entries; artifacts and versions stay (versions lose their execution id).
  // Runs that reused it whole are expanded first (ExpandReusedRuns).
  virtual Status DeleteRun(int64_t id) = 0;

  // ---- Whole-run reuse: the nothing-changed fast path (engine/run_reuse.h).
  // Records `run` (status, times, host, pid, exit reason; its id, pipeline,
  // spec path and params are ignored) as reusing run `reused` whole: one row,
  // with `reused`'s pipeline, spec path and params. Its executions (one
  // `cached` execution per succeeded or cached execution of `reused`, with
  // the same cache key, reused_from the execution that produced the outputs,
  // reason "same key as run N", and the same input and output events) are
  // written by ExpandReusedRuns. NotFound if `reused` is absent.
  virtual StatusOr<int64_t> CreateReusedRun(const Run& run, int64_t reused) = 0;
  // Writes out the executions of every run CreateReusedRun recorded and no
  // call expanded yet; returns how many runs it expanded. Readers of
  // executions, events and lineage see a reused run's records only after it
  // (SqliteStore::Open calls it unless told not to).
  virtual StatusOr<int> ExpandReusedRuns() = 0;
  // Stores `stamp`, replacing the one with the same invocation.
  // FailedPrecondition if its run is absent.
  virtual Status PutRunStamp(const RunStamp& stamp) = 0;
  // The stamp of `invocation`, nullopt if none (or its run was deleted).
  virtual StatusOr<std::optional<RunStamp>> GetRunStamp(std::string_view invocation) = 0;

  // ---- Executions.
  virtual StatusOr<int64_t> CreateExecution(const Execution& execution) = 0;
  // Overwrites every field of execution `execution.id`. NotFound if absent.
  virtual Status UpdateExecution(const Execution& execution) = 0;
  // Sets the result fields of execution `id` (status, attempt, exit code,
  // end time, wall and CPU time, peak RSS, log paths) and leaves the others
  // (run, step, start, key, key record, reason, reused_from) as they are:
  // what a step's end writes, without reading the row or touching the
  // indexed columns. NotFound if absent.
  virtual Status SetExecutionResult(int64_t id, const ExecutionResult& result) = 0;
  virtual StatusOr<Execution> GetExecution(int64_t id) = 0;
  // In creation order.
  virtual StatusOr<std::vector<Execution>> ListExecutions(int64_t run_id) = 0;
  // The most recent execution of `step` in any run of `pipeline` that
  // finished with status succeeded, failed or cached (for --explain: diff its
  // key_record against the new one). NotFound if there is none.
  virtual StatusOr<Execution> LastExecution(std::string_view pipeline, std::string_view step) = 0;
  // LastExecution's id and cache_key only: the per-step hot path of a run
  // (the key_record is read only when the key differs). NotFound likewise.
  virtual StatusOr<std::pair<int64_t, std::string>> LastExecutionKey(std::string_view pipeline,
                                                                     std::string_view step) = 0;
  // The finished executions (succeeded, failed or cached) of the `runs` most
  // recent runs of `pipeline`, newest first: a run reads every step's last
  // key in one query instead of one LastExecutionKey per step.
  virtual StatusOr<RecentKeys> RecentExecutionKeys(std::string_view pipeline, int runs) = 0;

  // ---- Artifacts and versions.
  // Records an artifact; a second put of the same ref keeps the first record,
  // except that a step output's type replaces `source` (a step that passes a
  // source through unchanged makes a dataset, not a source).
  virtual Status PutArtifact(const Artifact& artifact) = 0;
  virtual StatusOr<Artifact> GetArtifact(std::string_view ref) = 0;
  // The version of `ref` under `name`: the existing one if this content
  // already has a version under this name, else the next number (1, 2, ...).
  // Never two versions for the same content. The artifact must have been put.
  virtual StatusOr<ArtifactVersion> AssignVersion(std::string_view name, std::string_view ref,
                                                  std::optional<int64_t> execution_id,
                                                  int64_t created_ns) = 0;
  // "sha256:<hex>", "NAME:vN" or "NAME" (its latest version).
  virtual StatusOr<ResolvedArtifact> ResolveArtifact(std::string_view text) = 0;
  // Sorted by name, then version. `name_prefix` "" means all.
  virtual StatusOr<std::vector<ArtifactVersion>> ListArtifactVersions(std::string_view name_prefix = "") = 0;
  // Every version (under any name) whose content is `ref`.
  virtual StatusOr<std::vector<ArtifactVersion>> VersionsOf(std::string_view ref) = 0;

  // ---- Lineage.
  // Records events (their ids are ignored). Artifacts must have been put.
  virtual Status RecordEvents(const std::vector<Event>& events) = 0;
  virtual StatusOr<std::vector<Event>> EventsForExecution(int64_t execution_id) = 0;
  // Edges from the executions that wrote `ref` (to their inputs); walk again
  // from each input_ref to go deeper.
  virtual StatusOr<std::vector<LineageEdge>> Upstream(std::string_view ref) = 0;
  // Edges from the executions that read `ref` (to their outputs).
  virtual StatusOr<std::vector<LineageEdge>> Downstream(std::string_view ref) = 0;

  // ---- Params and metrics (batch inserts).
  virtual Status RecordParams(const std::vector<Param>& params) = 0;
  virtual StatusOr<std::vector<Param>> ParamsForRun(int64_t run_id) = 0;
  virtual Status RecordMetrics(const std::vector<Metric>& metrics) = 0;
  // Ordered by name, step, then insertion.
  virtual StatusOr<std::vector<Metric>> MetricsForRun(int64_t run_id) = 0;
  // The metrics recorded by the executions `execution_ids` (of any runs):
  // what a cached execution's reused execution reported. Ordered by
  // execution (as given), then name, step, insertion. An id without metrics
  // (or no longer stored) adds nothing.
  virtual StatusOr<std::vector<Metric>> MetricsForExecutions(const std::vector<int64_t>& execution_ids) = 0;

  // ---- Cache.
  // Notes that `execution_id` produced its outputs under `key`. Every entry is
  // kept (history), not only the last per key.
  virtual Status RecordCacheEntry(std::string_view key, int64_t execution_id, int64_t created_ns) = 0;
  // The most recent execution with this key that succeeded, with its output
  // events (none for a step without outputs: the engine records outputs and
  // the cache entry in one transaction). NotFound if none (the caller must
  // still check that the store has the outputs; if not, try CacheCandidates).
  virtual StatusOr<CacheHit> LookupCache(std::string_view key) = 0;
  // The same, up to `limit` hits, newest first.
  virtual StatusOr<std::vector<CacheHit>> CacheCandidates(std::string_view key, int limit) = 0;
  // CacheCandidates(key, 1) for many keys in a few queries: key -> its
  // newest hit; a key without one is absent.
  virtual StatusOr<std::map<std::string, CacheHit>> NewestCacheHits(const std::vector<std::string>& keys) = 0;

  // ---- Garbage collection.
  // Every artifact ref still named by an event (of a remaining run, which
  // covers cache entries' outputs), by an artifact version or by a registered
  // model version; sorted, unique.
  virtual StatusOr<std::vector<std::string>> ReferencedRefs() = 0;

  // ---- The store's own consistency (artifacts verify).
  // What the backend's consistency check finds wrong (SQLite: PRAGMA
  // quick_check), one line each; empty when it finds nothing.
  virtual StatusOr<std::vector<std::string>> CheckIntegrity() = 0;
  // The highest run id this store ever handed out, deleted runs included (0:
  // it never recorded a run). A store whose objects outnumber what it ever
  // recorded was lost and made again (artifacts gc refuses to run on it).
  virtual StatusOr<int64_t> HighestRunIdEver() = 0;

  // ---- Objects the store no longer has (artifacts verify, gc, quarantine).
  // Records that `removal.ref` left the object store (or, "not-stored", never
  // entered it). InvalidArgument for another reason.
  virtual Status RecordObjectRemoval(const ObjectRemoval& removal) = 0;
  // The newest removal recorded for `ref`; nullopt if none.
  virtual StatusOr<std::optional<ObjectRemoval>> LastObjectRemoval(std::string_view ref) = 0;
  // Every ref with a removal recorded; sorted, unique.
  virtual StatusOr<std::vector<std::string>> RemovedRefs() = 0;
  // Forgets the cache entries of the executions that wrote `ref` (an output
  // event) and the run stamps that list it, so that no run reuses it again;
  // returns those executions' ids, ascending. The executions and their
  // events stay: the record of what ran is kept.
  virtual StatusOr<std::vector<int64_t>> DropCacheEntriesFor(std::string_view ref) = 0;

  // ---- Model registry (docs/model-registry.md).
  // Model names: 1-128 of [A-Za-z0-9._-]. Alias names: the same, starting
  // with a letter, never "latest" (reserved: the newest version) nor "vN".
  // Bad names are InvalidArgument.

  // Registers `version.ref` (a put artifact: else FailedPrecondition) under
  // `version.name` as the next version (1, 2, ...), creating the registered
  // model if needed; `version.version` is ignored. If this ref already is a
  // version of this name, returns that version unchanged (never a duplicate)
  // and sets *created to false. A non-empty `description` replaces the
  // model's description.
  virtual StatusOr<ModelVersion> RegisterModelVersion(const ModelVersion& version,
                                                      std::string_view description,
                                                      bool* created = nullptr) = 0;
  // Sorted by name.
  virtual StatusOr<std::vector<RegisteredModel>> ListRegisteredModels() = 0;
  // The model, its versions and its aliases. NotFound if absent.
  virtual StatusOr<RegisteredModelDetail> GetRegisteredModel(std::string_view name) = 0;
  // "NAME" or "NAME@latest" (its newest version), "NAME@ALIAS", "NAME:vN".
  // NotFound for an unknown model, alias or version; InvalidArgument for a
  // malformed text.
  virtual StatusOr<ModelVersion> ResolveModel(std::string_view text) = 0;
  // Every registered version (under any name) whose content is `ref`.
  virtual StatusOr<std::vector<ModelVersion>> ModelVersionsOf(std::string_view ref) = 0;

  // Points NAME@ALIAS at `version` (creating or moving the alias) and records
  // the move with `reason` in the history, atomically. Returns the recorded
  // change; if the alias already points there nothing is recorded and the
  // change returned has id 0. NotFound if the model or version is absent.
  virtual StatusOr<AliasChange> SetAlias(std::string_view name, std::string_view alias, int64_t version,
                                         std::string_view reason, int64_t changed_ns) = 0;
  // Removes the alias, recording a change to null. NotFound if absent.
  virtual StatusOr<AliasChange> DeleteAlias(std::string_view name, std::string_view alias,
                                            std::string_view reason, int64_t changed_ns) = 0;
  // Undoes the alias's last move: points it back at the version it had
  // before (recreating it if the last move deleted it), recorded with reason
  // "rollback" (so a second rollback undoes the first). FailedPrecondition
  // if there is no earlier version to go back to (never moved, or the last
  // move created it); NotFound if the model is absent.
  virtual StatusOr<AliasChange> RollbackAlias(std::string_view name, std::string_view alias,
                                              int64_t changed_ns) = 0;
  // Moves of the model's aliases (only `alias` if non-empty), newest first.
  // NotFound if the model is absent.
  virtual StatusOr<std::vector<AliasChange>> AliasHistory(std::string_view name,
                                                          std::string_view alias = "") = 0;
  // A number that grows whenever any registered model, version or alias
  // changes (in any process). One indexed row: cheap enough to poll every
  // second; re-resolve only when it moved.
  virtual StatusOr<int64_t> RegistryGeneration() = 0;

  // ---- How writers should use it.
  // How long a run may keep the records of several steps in one open
  // transaction (group commit: engine/run_recorder.h). A store written by
  // one process at a time gains from long batches; on a shared server
  // database other writers wait on what a batch wrote until it commits, and
  // two runs' batches that wrote the same names in opposite orders deadlock,
  // so it asks for each step's records to commit on their own (0).
  virtual int64_t MaxBatchAgeNs() const { return 200'000'000; }
};

// Begin on construction; Rollback on destruction unless Commit succeeded.
//   Transaction txn(store);
//   RETURN_IF_ERROR(txn.status());
//   ... writes ...
//   RETURN_IF_ERROR(txn.Commit());
class Transaction {
 public:
  explicit Transaction(MetadataStore& store) : store_(store), status_(store.Begin()) {}
  ~Transaction() {
    if (status_.ok() && !done_) (void)store_.Rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Whether Begin succeeded.
  const Status& status() const { return status_; }
  Status Commit() {
    if (!status_.ok()) return status_;
    done_ = true;
    return store_.Commit();
  }

 private:
  MetadataStore& store_;
  Status status_;
  bool done_ = false;
};

}  // namespace mlpipe::metadata
