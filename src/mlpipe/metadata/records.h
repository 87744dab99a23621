// Records of the metadata store: plain data, one struct per table.
// Ids are int64 assigned by the store (0 = not yet stored). Times are
// wall-clock nanoseconds since the Unix epoch (0 = not set).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::metadata {

enum class RunStatus { kRunning, kSucceeded, kFailed, kCancelled };
enum class ExecutionStatus { kPending, kRunning, kSucceeded, kFailed, kCached, kSkipped, kCancelled };
enum class EventKind { kInput, kOutput };

// Lower-case names as stored and shown: "running", "succeeded", ...
std::string_view ToString(RunStatus s);
std::string_view ToString(ExecutionStatus s);
std::string_view ToString(EventKind k);
// InvalidArgument for an unknown name.
StatusOr<RunStatus> ParseRunStatus(std::string_view s);
StatusOr<ExecutionStatus> ParseExecutionStatus(std::string_view s);
StatusOr<EventKind> ParseEventKind(std::string_view s);

struct Run {
  int64_t id = 0;
  std::string pipeline;   // pipeline name
  std::string spec_path;  // the YAML file it came from
  RunStatus status = RunStatus::kRunning;
  std::string params_json = "{}";  // resolved parameters, a JSON object
  int64_t started_ns = 0;
  int64_t ended_ns = 0;
  std::string host;         // where the run's process lives, with pid: a
  int64_t pid = 0;          // "running" run whose process is gone is dead
  std::string exit_reason;  // for people: "step train failed (exit 1)"
  // Set for a run that reused an earlier run whole (CreateReusedRun): the
  // run whose results it reused.
  std::optional<int64_t> reuses_run;
  // What started the run, for people: "" for a command typed by hand, else
  // the trigger and its reason as `mlpipe server` recorded it
  // ("on_change data/loans.csv sha256:ab12.. -> sha256:9f3e..").
  std::string trigger;
};

// What a successful run read and wrote, keyed by the invocation that started
// it, so that the same invocation with nothing changed can reuse the run whole
// (engine/run_stamp.h encodes the texts; the store keeps them as given).
struct RunStamp {
  std::string invocation;  // names the command (version, spec path, overrides)
  std::string pipeline;
  int64_t run_id = 0;   // the run it stamps (its deletion removes the stamp)
  std::string files;    // the files read, with their digests
  std::string outputs;  // the output refs that must still be in the store
  std::string steps;    // the steps, in order, with the run each one's result came from
  std::string absent;   // paths that must still not be regular files
  int64_t created_ns = 0;
};

struct Execution {
  int64_t id = 0;
  int64_t run_id = 0;
  std::string step;
  ExecutionStatus status = ExecutionStatus::kPending;
  int attempt = 0;  // 1-based once started
  std::optional<int> exit_code;
  int64_t started_ns = 0;
  int64_t ended_ns = 0;
  int64_t wall_ns = 0;
  int64_t cpu_ns = 0;
  int64_t peak_rss_bytes = 0;
  std::string cache_key;   // "sha256:..." or "" (not cacheable)
  std::string key_record;  // canonical JSON the key was hashed from
  std::string reason;      // why it ran / was reused / was skipped
  std::string stdout_log;  // paths of the last attempt's logs
  std::string stderr_log;
  std::optional<int64_t> reused_from;  // for kCached: the execution whose outputs were reused
};

// What a finished attempt sets on its execution (MetadataStore::SetExecutionResult).
struct ExecutionResult {
  ExecutionStatus status = ExecutionStatus::kSucceeded;
  int attempt = 0;
  std::optional<int> exit_code;
  int64_t ended_ns = 0;
  int64_t wall_ns = 0;
  int64_t cpu_ns = 0;
  int64_t peak_rss_bytes = 0;
  std::string stdout_log;
  std::string stderr_log;
};

struct Artifact {
  std::string ref;   // "sha256:<hex>", primary key
  std::string type;  // dataset, model, metrics, ...
  uint64_t size = 0;
  bool is_dir = false;
  int64_t created_ns = 0;
};

// A named version: "PIPELINE.STEP.OUTPUT" v1, v2, ... -> content.
struct ArtifactVersion {
  std::string name;
  int64_t version = 0;
  std::string ref;
  int64_t created_ns = 0;
  std::optional<int64_t> execution_id;  // producing execution (null once its run is deleted)

  // "NAME:vN".
  std::string Label() const;
};

struct Event {
  int64_t id = 0;
  int64_t execution_id = 0;
  std::string ref;
  EventKind kind = EventKind::kInput;
  std::string name;         // the step's input or output name
  std::string version_ref;  // "NAME:vN" when the artifact had a version, else ""
};

// One hop of lineage: execution read `input_ref` and wrote `output_ref`.
// Upstream edges of an artifact produced by a step with no inputs have an
// empty input side; downstream edges of a step with no outputs an empty
// output side.
struct LineageEdge {
  int64_t execution_id = 0;
  int64_t run_id = 0;
  std::string step;
  std::string input_ref;
  std::string input_name;
  std::string output_ref;
  std::string output_name;
};

struct Param {
  int64_t run_id = 0;
  std::optional<int64_t> execution_id;
  std::string name;
  std::string value;  // as resolved, JSON text (6, "xgb", true)
};

struct Metric {
  int64_t run_id = 0;
  std::optional<int64_t> execution_id;
  std::string name;
  double value = 0;
  std::optional<int64_t> step;  // iteration, for curves
  int64_t recorded_ns = 0;
};

// An object that left the object store (or a source that never entered it):
// why, when, and a note for people.
// Metadata may still name it (an old version, a run's input); this is how a
// reader tells "removed on purpose" from "lost".
struct ObjectRemoval {
  std::string ref;
  // "gc" (garbage-collected), "quarantined" (damaged), or "not-stored" (a
  // source hashed but never stored: sources: {store: false}, max_size)
  std::string reason;
  std::string detail;  // "content hashes to sha256:...; 2 cache entries dropped"
  int64_t removed_ns = 0;
};

// A reusable earlier execution and the outputs it recorded.
struct CacheHit {
  Execution execution;
  std::vector<Event> outputs;
};

// One finished execution's id, step and cache key (RecentExecutionKeys).
struct ExecutionKey {
  int64_t id = 0;
  std::string step;
  std::string cache_key;
};

struct RecentKeys {
  std::vector<ExecutionKey> keys;  // newest first
  // True if the pipeline has no older runs than those read: a step absent
  // from `keys` never finished in any run.
  bool complete = false;
};

// An artifact looked up by "sha256:...", "NAME:vN" or "NAME" (latest).
struct ResolvedArtifact {
  Artifact artifact;
  std::optional<ArtifactVersion> version;  // set when looked up by name
};

// The text ResolveArtifact reads, parsed (shared by every backend): a ref
// (`name` is the ref), NAME:vN (`version` N), or NAME (`version` nullopt:
// the latest). InvalidArgument for a malformed ":v" suffix.
struct ArtifactText {
  bool is_ref = false;
  std::string name;
  std::optional<int64_t> version;
};
StatusOr<ArtifactText> ParseArtifactText(std::string_view text);

// ---- Model registry (schema v3). See docs/model-registry.md.

// A registered model: a name (letters, digits, '.', '_', '-'; at most 128)
// whose versions are model packages.
struct RegisteredModel {
  std::string name;
  std::string description;
  int64_t created_ns = 0;
};

// One version of a registered model: NAME v1, v2, ... -> a folder artifact
// (a model package). The same content is never registered twice under one
// name.
struct ModelVersion {
  std::string name;
  int64_t version = 0;
  std::string ref;                      // "sha256:<hex>" of the model package folder
  std::string source;                   // what it was registered from: "p.train.model:v3" or the ref
  std::optional<int64_t> run_id;        // producing run, if known (null once the run is deleted)
  std::optional<int64_t> execution_id;  // producing execution, if known (likewise)
  std::string metrics_json = "{}";      // snapshot of the run's metrics: {"STEP.NAME": number}
  int64_t created_ns = 0;

  // "NAME:vN".
  std::string Label() const;
};

// NAME@ALIAS -> version.
struct ModelAlias {
  std::string name;
  std::string alias;
  int64_t version = 0;
  int64_t updated_ns = 0;
};

// One move of an alias: from_version -> to_version. A null from_version is
// the alias's creation; a null to_version its deletion.
struct AliasChange {
  int64_t id = 0;  // increasing in the order of the moves
  std::string name;
  std::string alias;
  std::optional<int64_t> from_version;
  std::optional<int64_t> to_version;
  int64_t changed_ns = 0;
  std::string reason;  // for people: "rollback", "auc 0.91 > 0.89", ...
};

// A registered model with its versions (by version) and aliases (by alias).
struct RegisteredModelDetail {
  RegisteredModel model;
  std::vector<ModelVersion> versions;
  std::vector<ModelAlias> aliases;
};

}  // namespace mlpipe::metadata
