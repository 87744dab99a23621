// StepDecider: for one step whose upstream outputs are known, resolves its
// inputs to artifact refs, computes its key record and cache key, and decides
// whether it is cached (a succeeded execution with the same key exists
// anywhere in the history and its outputs are still in the store) or must
// run, with the reason people read in --explain and `mlpipe status`.
// Used by a run (through its JobDelegate) and by `status`/`--dry-run`, which
// only read.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/cache_key.h"
#include "mlpipe/engine/run_recorder.h"
#include "mlpipe/spec/pipeline.h"
#include "mlpipe/store/hash_cache.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {

// The version of mlpipe built into built-in components' cache keys.
const char* EngineVersion();

struct StepDecision {
  bool cached = false;
  std::string reason;  // "param repeat 3 -> 5", "same key as run 2", "new step", ...
  std::string key;
  nlohmann::json record;
  std::optional<CacheHit> hit;                         // when cached
  nlohmann::json params;                               // the step's ${params.X} scope
  std::map<std::string, ArtifactVersion> inputs;       // input name -> version (sources: name "PIPELINE/PATH", v0)
  std::map<std::string, std::string> input_paths;      // input name -> absolute source path (sources only)
};

class StepDecider {
 public:
  // All references must outlive the decider.
  StepDecider(const spec::PipelineSpec& spec, const nlohmann::json& pipeline_params, store::HashCache& hashes,
              store::ObjectStore& objects, RunRecorder& recorder, bool no_cache);

  // `available`: "STEP.OUTPUT" -> version, for every upstream output already
  // produced or cached in this run. FailedPrecondition if an input's producer
  // is not in `available`.
  StatusOr<StepDecision> Decide(const spec::StepSpec& step, const std::map<std::string, ArtifactVersion>& available);

  // Every source and code file Decide hashed: absolute path -> digest (what a
  // run stamp records, run_stamp.h).
  const std::map<std::string, std::string>& FilesRead() const { return files_read_; }

 private:
  // The params an inline step's templates name (all of them for components).
  nlohmann::json UsedParams(const spec::StepSpec& step, const nlohmann::json& scope) const;
  // True if the store still has every output of `hit`.
  bool HasAllOutputs(const spec::StepSpec& step, const CacheHit& hit) const;
  static constexpr int kMaxCacheCandidates = 8;

  const spec::PipelineSpec& spec_;
  const nlohmann::json& pipeline_params_;
  store::HashCache& hashes_;
  store::ObjectStore& objects_;
  RunRecorder& recorder_;
  bool no_cache_;
  std::map<std::string, std::string> files_read_;
};

}  // namespace mlpipe::engine
