// ExportPlan: what a pipeline exported to another scheduler (an Argo
// Workflow, a tree of sbatch scripts) must run, decided by mlpipe before
// anything is submitted. It is `mlpipe status`'s decision (engine::StepDecider,
// the same one a run makes) with what an export needs beside it: for every
// input, whether it comes from a step that runs in the exported graph or from
// an object that already exists (a source, a cached step's output, a
// registered model) and then its ref; for every cached step, its outputs'
// refs. Nothing is run and nothing is written to the stores.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/env.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::exporter {

// An object in the content-addressed store.
struct StoredRef {
  std::string ref;      // "sha256:<hex>"
  bool is_dir = false;  // a folder (its ref is its manifest's digest)
};

// Where one input of a step that runs comes from.
struct PlannedInput {
  std::string name;         // the input's name in the step
  std::string from_step;    // a step that runs in the export ("" otherwise)
  std::string from_output;  //   and its output
  StoredRef stored;         // otherwise: the object it reads
  std::string source;       //   a source: its absolute path here
  std::string label;        // for people: "data/raw.csv", "prep.data:v3", "iris@champion"
  bool optional = false;    // the component declares it optional (its producer may not write it)
};

struct PlannedStep {
  const spec::StepSpec* step = nullptr;  // in the LoadedPipeline given to PlanExport
  bool cached = false;
  std::string reason;  // as `mlpipe status` says it
  // Steps that run and that this one waits for (its inputs' producers and its
  // `after:`), sorted, no repeats. Empty for a cached step.
  std::vector<std::string> depends;
  // A step that runs: its inputs in spec order (an optional input whose
  // producer is cached without writing it is left out).
  std::vector<PlannedInput> inputs;
  // A cached step: its outputs (name -> object), as the cache holds them.
  std::map<std::string, StoredRef> outputs;
  // A step that runs: its ${params.X} scope.
  nlohmann::json params;
};

struct ExportPlan {
  std::vector<PlannedStep> steps;  // every step, in topological order
  const PlannedStep* Find(const std::string& step) const;
  int runs() const;  // steps that run
};

// Decides every step of `pipeline` with what `env` holds (its stores are read,
// never written; env.make_runner is unused): cached or run, and why, as
// engine::PlanPipeline does; `ws` tells folder objects from files. Errors:
// a source that cannot be read, a model input that does not resolve.
StatusOr<ExportPlan> PlanExport(const engine::Env& env, const store::Workspace& ws,
                                const engine::LoadedPipeline& pipeline, bool no_cache);

}  // namespace mlpipe::exporter
