// Workspace: the one module that owns every on-disk name under `.mlpipe/`.
// No other code builds a workspace path by hand; see docs/on-disk-format.md.
//
//   .mlpipe/
//     objects/sha256/<2 hex>/<62 hex>     file blobs, read-only (0444)
//     manifests/sha256/<2 hex>/<62 hex>   folder manifests (a folder's id)
//     trees/<64 hex>/                     materialised folders (hardlinks)
//     tmp/                                temp files; swept at store open
//     quarantine/<64 hex>.<ns>            a damaged object moved out of the store,
//     quarantine/<64 hex>.<ns>.json       and its note (what was found, when)
//     metadata.db                         SQLite metadata (WAL mode)
//     runs/<run id>/out.d/<step>.<output> outputs staged while their step runs
//     runs/<run id>/work.d/<n>/           working folders, reused when left empty
//     runs/<run id>/metrics.d/<step>.<N>.jsonl   what attempt N wrote to $MLPIPE_METRICS
//     runs/<run id>/<step>/               made when needed: attempt-N.{stdout,stderr}.log
//                                         (when the stream wrote), invocation-N.json, ...
//     hash-cache                          source hash cache
//     reserve                             1 MiB kept free for writes on a full disk
//     locks/                              lock files: pipeline-<name>.lock, workspace.lock
//     locks/pipeline-<name>.steps         process groups of the steps of a run in progress
//
// Finding the workspace: if MLPIPE_HOME is set it names the `.mlpipe` folder
// itself; otherwise `.mlpipe` is searched upward from the start directory, like
// `.git`. Workspace is a cheap value type; thread-safe (immutable).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mlpipe/base/status.h"
#include "mlpipe/store/file_system.h"

namespace mlpipe::store {

inline constexpr std::string_view kWorkspaceDirName = ".mlpipe";
inline constexpr std::string_view kRefPrefix = "sha256:";

// "sha256:<64 lower-case hex>" -> the 64 hex; InvalidArgument otherwise.
StatusOr<std::string> RefToHex(std::string_view ref);
// True for a well-formed ref.
bool IsValidRef(std::string_view ref);

class Workspace {
 public:
  // Finds an existing workspace. `mlpipe_home` overrides the search (pass
  // std::nullopt to ignore the environment); NotFound if there is none.
  static StatusOr<Workspace> Open(const std::string& start_dir,
                                  const std::optional<std::string>& mlpipe_home);
  // Same, with mlpipe_home taken from the MLPIPE_HOME environment variable.
  static StatusOr<Workspace> Open(const std::string& start_dir);
  // Finds or creates: if none is found, creates `<start_dir>/.mlpipe` (or the
  // MLPIPE_HOME folder). Always makes sure the fixed sub-folders exist.
  static StatusOr<Workspace> OpenOrCreate(const std::string& start_dir,
                                          const std::optional<std::string>& mlpipe_home,
                                          FileSystem& fs = PosixFileSystem());
  static StatusOr<Workspace> OpenOrCreate(const std::string& start_dir);

  // A workspace rooted at `root` (the .mlpipe folder), without checks.
  explicit Workspace(std::string root) : root_(std::move(root)) {}

  // The `.mlpipe` folder (absolute when found by search).
  const std::string& root() const { return root_; }
  // The folder that holds `.mlpipe` (the project root).
  std::string ProjectDir() const { return DirName(root_); }

  std::string ObjectsDir() const;                        // .mlpipe/objects/sha256
  std::string BlobPath(std::string_view hex) const;      // objects/sha256/ab/cdef...
  std::string ManifestsDir() const;                      // .mlpipe/manifests/sha256
  std::string ManifestPath(std::string_view hex) const;  // manifests/sha256/ab/cdef...
  std::string TreesDir() const;                          // .mlpipe/trees
  std::string TreePath(std::string_view hex) const;      // trees/<64 hex>
  std::string TmpDir() const;                            // .mlpipe/tmp
  std::string QuarantineDir() const;                     // .mlpipe/quarantine
  // quarantine/<hex>.<ns>: where a damaged object goes; its note is this path + ".json".
  std::string QuarantinePath(std::string_view hex, int64_t ns) const;
  std::string MetadataDbPath() const;        // .mlpipe/metadata.db
  std::string ConfigPath() const;            // .mlpipe/config.yaml (spec/workspace_config.h)
  std::string RunsDir() const;               // .mlpipe/runs
  std::string RunDir(int64_t run_id) const;  // runs/<id>
  std::string StepDir(int64_t run_id, std::string_view step) const;  // runs/<id>/<step>
  // Fixed folders of a run (their names have a '.', so no step name matches).
  std::string RunOutputsDir(int64_t run_id) const;  // runs/<id>/out.d
  std::string RunWorkDir(int64_t run_id) const;     // runs/<id>/work.d
  std::string RunMetricsDir(int64_t run_id) const;  // runs/<id>/metrics.d
  // Where a step writes an output while it runs: out.d/<step>.<output>.
  std::string StagedOutputPath(int64_t run_id, std::string_view step, std::string_view output) const;
  // A pooled working folder: work.d/<n>.
  std::string PooledWorkDir(int64_t run_id, int n) const;
  // $MLPIPE_METRICS of an attempt: metrics.d/<step>.<attempt>.jsonl.
  std::string MetricsFilePath(int64_t run_id, std::string_view step, int attempt) const;
  // A failed attempt's working folder, kept when it was left non-empty.
  std::string KeptWorkDir(int64_t run_id, std::string_view step, int attempt) const;  // <step>/work-<N>
  std::string InvocationPath(int64_t run_id, std::string_view step,
                             int attempt) const;  // <step>/invocation-<N>.json
  std::string ScriptPath(int64_t run_id, std::string_view step, int attempt) const;  // <step>/command-<N>.sh
  std::string AttemptStdoutLog(int64_t run_id, std::string_view step, int attempt) const;
  std::string AttemptStderrLog(int64_t run_id, std::string_view step, int attempt) const;
  std::string HashCachePath() const;                  // .mlpipe/hash-cache
  std::string ReservePath() const;                    // .mlpipe/reserve (space_reserve.h)
  std::string LocksDir() const;                       // .mlpipe/locks
  std::string LockPath(std::string_view name) const;  // locks/<name>.lock
  // locks/pipeline-<name>.steps: the process groups of a running run's steps.
  std::string StepProcessesPath(std::string_view pipeline) const;

 private:
  std::string root_;
};

}  // namespace mlpipe::store
