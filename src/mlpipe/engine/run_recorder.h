// RunRecorder: everything a pipeline run writes to and reads from the
// metadata store, in the engine's terms. It keeps the run's context (id,
// pipeline) and batches writes: every record waits in one open transaction
// (group commit) that is committed when the executor is about to sit idle
// (Flush, through StepDelegate::FlushPendingWork), before a step starts whose
// upstream finished in the batch (FinishedUncommitted), when it is older than
// kMaxBatchAgeNs, and at the end of the run. So a no-op rerun of 1,000 steps
// costs one commit and a burst of short steps a few. Each finished execution
// (outputs, versions, events, metrics, cache entry) is one nested
// transaction: it lands whole or not at all, and its outputs are durable in
// the object store before it is recorded, so a crash never leaves a cache
// entry without its outputs; it can only lose the last few records, whose
// steps then run again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/engine/metrics_file.h"
#include "mlpipe/metadata/metadata_store.h"

namespace mlpipe::engine {

// An artifact version as the engine passes it between steps.
struct ArtifactVersion {
  std::string ref;   // sha256:<hex>
  std::string name;  // PIPELINE.STEP.OUTPUT, or PIPELINE.source.PATH for a source
  int64_t version = 0;
  uint64_t size = 0;            // sources: content size (to record the artifact)
  bool is_dir = false;          // sources: a folder
  std::string not_stored = {};  // sources: why the content is not in the store ("" = stored)
  std::string Label() const { return version ? name + ":v" + std::to_string(version) : name; }
};

// A key found in the cache history.
struct CacheHit {
  int64_t execution_id = 0;
  int64_t run_id = 0;
  std::map<std::string, std::string> outputs;  // output name -> ref
};

struct ExecutionStart {
  std::string step;
  std::string key;
  nlohmann::json key_record;
  std::string reason;
  int attempt = 1;
  std::map<std::string, ArtifactVersion> inputs;  // input name -> version read
};

struct OutputIngested {
  std::string name;  // output name
  std::string type;  // declared type
  std::string ref;
  uint64_t size = 0;
  bool is_dir = false;
};

struct ExecutionEnd {
  metadata::ExecutionStatus status = metadata::ExecutionStatus::kFailed;
  int attempt = 1;
  int exit_code = -1;
  int64_t wall_ns = 0;
  int64_t cpu_ns = 0;
  int64_t max_rss_bytes = 0;
  std::string reason;
  std::string stdout_path, stderr_path;
};

class RunRecorder {
 public:
  // `db` and `clock` must outlive the recorder. The clock dates every record
  // and ages the batch.
  RunRecorder(metadata::MetadataStore& db, std::string pipeline, Clock& clock);
  ~RunRecorder();

  // Creates the run record (status running, this host and pid).
  Status StartRun(const std::string& spec_path, const nlohmann::json& params, const nlohmann::json& run_info);
  int64_t run_id() const { return run_id_; }
  // The store it records into (reads see the batch not yet committed; also
  // for records outside a run's own, such as quarantines).
  metadata::MetadataStore& db() { return db_; }
  Clock& clock() { return clock_; }

  // Succeeded executions under `key` (any run), newest first, at most `limit`.
  // With limit 1, a key whose hit was read ahead (see LastKey) costs no query.
  StatusOr<std::vector<CacheHit>> LookupCache(const std::string& key, int limit);
  // The id and cache key of the last finished execution of `step` of this
  // pipeline (nullopt if it never ran). The first call reads ahead, in a few
  // queries, the last keys of every step in the pipeline's recent runs and
  // the newest cache hit of each of those keys: a rerun where little changed
  // asks the database nothing per step.
  StatusOr<std::optional<std::pair<int64_t, std::string>>> LastKey(const std::string& step);
  // The key record of an execution (null if it has none), for explanations.
  StatusOr<nlohmann::json> KeyRecordOf(int64_t execution_id);
  // The version `ref` already has under `name` (0 if none), assigning
  // nothing: what `status` shows for a cached output.
  StatusOr<int64_t> ExistingVersion(const std::string& name, const std::string& ref);
  // The version (name, number) of a ref under a name, assigning one if new.
  StatusOr<ArtifactVersion> VersionOf(const std::string& name, const std::string& ref,
                                      const std::string& type, uint64_t size, bool is_dir,
                                      int64_t execution_id);

  // A step satisfied from the cache: an execution with status cached whose
  // outputs are the hit's. Batched. Returns the output versions by name.
  StatusOr<std::map<std::string, ArtifactVersion>> RecordCached(const ExecutionStart& start,
                                                                const CacheHit& hit);

  // A step about to run: creates (first attempt) or updates its execution.
  // Batched like every record (see Flush). Returns the execution id.
  // A retry (attempt > 1) updates the step's execution.
  StatusOr<int64_t> StartExecution(const ExecutionStart& start);
  // A step that succeeded: its outputs, versions, output events, metrics and
  // cache entry, and its final status, in one transaction. `step` names the
  // outputs' versions (PIPELINE.STEP.OUTPUT).
  StatusOr<std::map<std::string, ArtifactVersion>> FinishExecution(
      int64_t execution_id, const std::string& step, const std::string& key, const ExecutionEnd& end,
      const std::vector<OutputIngested>& outputs, const std::vector<MetricPoint>& metrics);
  // What a step that failed left behind that is worth keeping: its outputs
  // marked keep_on_failure (with versions and output events, the execution
  // being the failed one) and the metrics it reported. No cache entry: a
  // failed execution is never reused. Call before its EndExecution.
  StatusOr<std::map<std::string, ArtifactVersion>> RecordFailedOutputs(
      int64_t execution_id, const std::string& step, const std::vector<OutputIngested>& outputs,
      const std::vector<MetricPoint>& metrics);
  // A failed attempt or a step that ended without running (skipped,
  // cancelled: execution_id 0 creates the record).
  Status EndExecution(int64_t execution_id, const std::string& step, const ExecutionEnd& end);

  // A line for people recorded in the run's note (Run::exit_reason) when it
  // finishes, after the reason: "warning: step train: metric 'model' is a
  // string ...".
  void AddNote(std::string note) { notes_.push_back(std::move(note)); }
  // Final run status (succeeded, failed, cancelled), with `reason` (or, if
  // empty, the note the run started with) and the notes, one per line, as
  // its note. Commits.
  Status FinishRun(metadata::RunStatus status, const std::string& reason);
  // Commits the batched writes.
  Status Flush();
  // Called before each commit of a batch. A COMMIT that fails on a full disk
  // loses the whole batch (SQLite rolls it back), so the run gives back the
  // workspace's space reserve there when the disk is nearly full.
  void SetBeforeCommit(std::function<void()> fn) { before_commit_ = std::move(fn); }
  // True while writes wait in the batch.
  bool HasPending() const { return in_batch_; }
  // True if `step` finished (succeeded) in the batch not yet committed. A step
  // that depends on it commits first (StepDelegate::Prepare), so whatever a
  // started step can observe of its inputs is recorded: a crash never loses a
  // finished step that something downstream already began from.
  bool FinishedUncommitted(const std::string& step) const { return uncommitted_finished_.count(step) > 0; }
  static constexpr int64_t kMaxBatchAgeNs = 200'000'000;

 private:
  Status EnsureBatch();
  // Flush() if the batch is older than kMaxBatchAgeNs, or than the store's
  // MaxBatchAgeNs() if that is shorter (a shared database: every step).
  Status FlushIfOld();
  // Records that a source's content was not stored (once per reason).
  Status NoteNotStored(const std::string& ref, const std::string& why);
  // Puts and versions an execution's outputs, records their output events
  // and its metrics (FinishExecution, RecordFailedOutputs).
  StatusOr<std::map<std::string, ArtifactVersion>> RecordOutputsAndMetrics(
      int64_t execution_id, const std::string& step, const std::vector<OutputIngested>& outputs,
      const std::vector<MetricPoint>& metrics, int64_t now);
  // Puts the input artifacts and records the input events of an execution.
  Status RecordInputs(int64_t execution_id, const std::map<std::string, ArtifactVersion>& inputs);
  StatusOr<ArtifactVersion> PutAndVersion(const std::string& name, const std::string& ref,
                                          const std::string& type, uint64_t size, bool is_dir,
                                          std::optional<int64_t> execution_id);
  Status ReadAhead();
  static CacheHit HitOf(metadata::CacheHit candidate);

  metadata::MetadataStore& db_;
  std::string pipeline_;
  Clock& clock_;
  std::function<void()> before_commit_;
  int64_t run_id_ = 0;
  bool in_batch_ = false;
  int64_t batch_started_ns_ = 0;
  std::set<std::string> uncommitted_finished_;  // steps that succeeded in the open batch
  std::vector<std::string> notes_;              // AddNote, for FinishRun
  std::map<std::string, int64_t> executions_;   // step -> execution id in this run
  // Read ahead by the first LastKey (kReadAheadRuns recent runs).
  static constexpr int kReadAheadRuns = 3;
  bool read_ahead_ = false;
  bool last_keys_complete_ = false;  // a step missing from last_keys_ never ran
  std::map<std::string, std::pair<int64_t, std::string>> last_keys_;  // step -> (execution id, key)
  // key -> its newest hit, or nullopt if it has none. A key this run records
  // a cache entry for is dropped (FinishExecution), so later lookups see it.
  std::map<std::string, std::optional<CacheHit>> newest_hits_;
};

}  // namespace mlpipe::engine
