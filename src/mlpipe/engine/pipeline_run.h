// Running a pipeline: the engine's entry points for `mlpipe run`,
// `mlpipe status` and `mlpipe run --dry-run`.
//
// A run takes a per-pipeline lock (a second run of the same pipeline waits,
// saying so; runs of different pipelines share the workspace freely),
// records a run, executes the job graph through exec::Executor with a
// JobDelegate that decides caching (StepDecider), runs each step in an empty
// working folder with its outputs staged under runs/<run>/out.d/ (RunFolders), ingests outputs into
// the object store, and records executions, versions, lineage events,
// metrics and cache entries.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/env.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/engine/register_gate.h"
#include "mlpipe/exec/progress.h"
#include "mlpipe/exec/run_outcome.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::engine {

struct RunOptions {
  int parallelism = 0;        // 0 = number of cores
  int64_t memory_budget = 0;  // bytes; 0 = unlimited
  bool no_cache = false;
  bool explain = false;  // say why each step runs (plain/terminal modes)
  bool keep_going = false;
  exec::ProgressMode progress = exec::ProgressMode::kPlain;
  std::ostream* out = nullptr;  // progress and summary (required)
  std::ostream* err = nullptr;  // messages such as lock waits (required)
  int64_t resumed_from = 0;     // recorded with the run
  std::string trigger;          // what started the run (metadata::Run::trigger); "" = by hand
  // Whether a successful run carries out the register: block. `mlpipe test`'s
  // smoke run (a sample, with CI params) registers no model and moves no alias.
  bool register_models = true;
  // Decides register: entries before they are registered (the deploy:
  // block's gates, deploy/run_gate.h); null = register as written. Borrowed.
  RegisterGate* register_gate = nullptr;
  // InvocationKey (run_stamp.h) of the command: a run that succeeds is
  // stamped under it, for run_reuse.h. "" = no stamp.
  std::string invocation;
};

struct RunReport {
  int64_t run_id = 0;
  exec::RunOutcome outcome;
};

// Runs the pipeline in `ws` with what `env` gives (env.h). Errors (Status)
// are for problems outside the steps: a lock, the metadata store fails. Step
// failures and interrupts are in the report's outcome.
StatusOr<RunReport> RunPipeline(const Env& env, const store::Workspace& ws, const LoadedPipeline& pipeline,
                                const RunOptions& options);

// What a run would do, step by step, without running or recording anything.
struct StepPlan {
  std::string step;
  std::string action;  // "cached" or "run"
  std::string reason;
};
// Reads env's stores, never writes them; env.make_runner is not used.
StatusOr<std::vector<StepPlan>> PlanPipeline(const Env& env, const LoadedPipeline& pipeline, bool no_cache);

}  // namespace mlpipe::engine
