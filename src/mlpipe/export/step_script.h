// The command an exported step runs: the command line `mlpipe run` would run
// (engine::BuildStepCommand: placeholders expanded, script paths made
// absolute, the MLPIPE_* variables, the step's env:), with the paths of the
// place it runs in (a pod, a batch job) instead of a run folder's.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/export/export_plan.h"

namespace mlpipe::exporter {

// Where things are for the step where it runs.
struct StepPaths {
  std::map<std::string, std::string> inputs;   // input name -> path to read
  std::map<std::string, std::string> outputs;  // output name -> path to write
  std::string work_dir;                        // its working folder (unless it sets workdir:)
  std::string metrics_path;                    // $MLPIPE_METRICS
  std::string self_exe;                        // built-ins: the mlpipe that runs them
  std::string invocation_path;                 // built-ins: where the invocation JSON is read from
  // The pipeline's folder there: every path under the pipeline's folder here
  // (its scripts, ${pipeline.dir}) is moved under it. "" = the same folder.
  std::string pipeline_dir;
};

struct StepScript {
  std::vector<std::string> argv;
  // The variables the step gets from mlpipe and its env: (not the exporting
  // shell's environment), sorted by name.
  std::map<std::string, std::string> env;
  std::string cwd;
  // Built-ins: the invocation JSON to put at StepPaths::invocation_path; "" otherwise.
  std::string invocation;
};

// The command of `step` (a step that runs) with `paths`. ${run.id} and
// MLPIPE_RUN_ID are "0": no run of mlpipe records an exported step. Errors
// are BuildStepCommand's (a placeholder that does not expand).
StatusOr<StepScript> BuildStepScript(const engine::LoadedPipeline& pipeline, const PlannedStep& step,
                                     const StepPaths& paths);

}  // namespace mlpipe::exporter
