// The two runs of `mlpipe ab` as the metadata store recorded them: which of
// B's steps shared A's results through the cache, which sources each read
// (by digest, for the same-snapshot rule), the artifacts the comparison
// picked, and how long the model took to train.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/ab_setup.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/spec/pipeline.h"

namespace mlpipe::engine {

// A finished run with its executions (in creation order) and their lineage events.
struct AbRun {
  metadata::Run run;
  std::vector<metadata::Execution> executions;
  std::map<int64_t, std::vector<metadata::Event>> events;  // by execution id
};

// NotFound for an unknown run; store errors as they come.
StatusOr<AbRun> ReadAbRun(metadata::MetadataStore& db, int64_t run_id);

// The digest of the picked artifact in `run`: the output `pick.name` that
// step `pick.step` wrote, or the input it read. NotFound saying which run and
// step when the step did not run to that point (no execution, or no such
// event: an optional output left unwritten).
StatusOr<std::string> PickedRef(const AbRun& run, const ArtifactPick& pick);

// A step of B whose result B took from the cache under a key a step of A
// had: an unchanged upstream that ran (or was reused) once for both.
struct SharedStep {
  std::string step_b;
  std::string step_a;
  std::string cache_key;
};
std::vector<SharedStep> SharedSteps(const AbRun& a, const AbRun& b);

// A source as a run read it.
struct SourceRead {
  std::string path;  // as the pipeline writes it (relative to its folder, or absolute)
  std::string ref;   // "sha256:<hex>"
};
// Every source the run's steps read, keyed by absolute path (the spec's
// folder joined with the path as written): each source input of `spec`'s
// steps with the digest its execution's input event recorded. Sources of
// steps that did not run are absent.
std::map<std::string, SourceRead> SourcesRead(const AbRun& run, const spec::PipelineSpec& spec);

// A file or folder both runs read with different content.
struct SourceChange {
  std::string path;  // as A's pipeline writes it
  std::string a_ref, b_ref;
};
std::vector<SourceChange> ChangedSources(const std::map<std::string, SourceRead>& a,
                                         const std::map<std::string, SourceRead>& b);
// FailedPrecondition: "data/x.csv changed between run 12 and run 13
// (sha256:ab12.. -> sha256:cd34..): rerun mlpipe ab", one line per change.
Status SnapshotError(const std::vector<SourceChange>& changes, int64_t run_a, int64_t run_b);

// The step and output of `run` that wrote `ref` ("split.test"), "" when no
// step of the run did (a source, a registered model it read).
std::string ProducerOf(const AbRun& run, const std::string& ref);

// How long a model took to make.
struct TrainingTime {
  std::string step;                    // the step that wrote it in this run ("" when no step of the run did)
  std::optional<double> step_seconds;  // wall time of the execution that computed it
  int64_t computed_in_run = 0;         // the run of that execution (another one when the step was cached)
  double run_seconds = 0;              // wall time of the whole run
};
// Follows a cached step's reused_from to the execution that computed the
// model, so that a model trained once and reused says how long training took.
StatusOr<TrainingTime> TrainingTimeOf(metadata::MetadataStore& db, const AbRun& run,
                                      const std::string& model_ref);

}  // namespace mlpipe::engine
