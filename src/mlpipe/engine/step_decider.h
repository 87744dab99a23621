// StepDecider: for one step whose upstream outputs are known, resolves its
// inputs to artifact refs, computes its key record and cache key, and decides
// whether it is cached (a succeeded execution with the same key exists
// anywhere in the history and its outputs are still in the store) or must
// run, with the reason people read in --explain and `mlpipe status`.
// Used by a run (through its JobDelegate) and by `status`/`--dry-run`, which
// only read.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/cache_key.h"
#include "mlpipe/engine/run_recorder.h"
#include "mlpipe/spec/pipeline.h"
#include "mlpipe/store/hash_cache.h"
#include "mlpipe/store/object_store.h"
#include "mlpipe/store/source_ingester.h"

namespace mlpipe::engine {

// The version of mlpipe built into built-in components' cache keys.
const char* EngineVersion();

struct StepDecision {
  bool cached = false;
  std::string reason;  // "param repeat 3 -> 5", "same key as run 2", "new step", ...
  std::string key;
  nlohmann::json record;
  std::optional<CacheHit> hit;  // when cached
  nlohmann::json params;        // the step's ${params.X} scope
  std::map<std::string, ArtifactVersion>
      inputs;  // input name -> version (sources: PIPELINE.source.PATH, v0 until recorded)
  std::map<std::string, std::string> input_paths;  // input name -> absolute source path (sources only)
};

class StepDecider {
 public:
  // All references must outlive the decider.
  // `sources` hashes (and, in a run, stores) the step's source inputs;
  // `hashes` its code files.
  StepDecider(const spec::PipelineSpec& spec, const nlohmann::json& pipeline_params, store::HashCache& hashes,
              store::SourceIngester& sources, store::ObjectStore& objects, RunRecorder& recorder,
              bool no_cache);

  // `available`: "STEP.OUTPUT" -> version, for every upstream output already
  // produced or cached in this run. FailedPrecondition if an input's producer
  // is not in `available`.
  StatusOr<StepDecision> Decide(const spec::StepSpec& step,
                                const std::map<std::string, ArtifactVersion>& available);

  // Every source and code file Decide hashed: absolute path -> digest (what a
  // run stamp records, run_stamp.h).
  const std::map<std::string, std::string>& FilesRead() const { return files_read_; }
  // The stored sources Decide read: their refs must still be in the store for
  // a no-op rerun to restore them (run_stamp.h).
  const std::set<std::string>& StoredSources() const { return stored_sources_; }
  bool no_cache() const { return no_cache_; }

 private:
  // The params an inline step's templates name (all of them for components).
  nlohmann::json UsedParams(const spec::StepSpec& step, const nlohmann::json& scope) const;
  // "" if the store still has every output of `hit`, intact; else why not
  // ("output model was garbage-collected on ..."). A damaged output is
  // quarantined and recorded on the way (object_integrity.h).
  std::string MissingOutput(const spec::StepSpec& step, const CacheHit& hit);
  // "" unless an output of execution `execution_id` has left the store; then why.
  std::string RemovedOutputOf(int64_t execution_id);
  static constexpr int kMaxCacheCandidates = 8;

  const spec::PipelineSpec& spec_;
  const nlohmann::json& pipeline_params_;
  store::HashCache& hashes_;
  store::SourceIngester& sources_;
  store::ObjectStore& objects_;
  RunRecorder& recorder_;
  bool no_cache_;
  std::map<std::string, std::string> files_read_;
  std::set<std::string> stored_sources_;
};

}  // namespace mlpipe::engine
