// What `mlpipe run` prints around the executor's progress (the run's first and
// last lines or JSON events, and the --explain list), shared by a full run
// (pipeline_run.h) and a run that reuses an earlier one whole (run_reuse.h),
// so both read the same.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "mlpipe/engine/metrics_file.h"
#include "mlpipe/engine/pipeline_run.h"
#include "mlpipe/exec/progress.h"

namespace mlpipe::engine {

// "run N of pipeline 'P' (K steps)", or the run_started JSON event.
void PrintRunStarted(const RunOptions& options, int64_t run_id, const std::string& pipeline, size_t steps);
// "run N STATUS", or the run_finished JSON event; flushes.
void PrintRunFinished(const RunOptions& options, int64_t run_id, metadata::RunStatus status);

// This machine's host name ("localhost" if unknown), recorded with a run.
std::string HostName();

// Wraps the progress printer: adds the reasons steps run (JSON: an "explain"
// event; otherwise listed after the summary with --explain) and the warnings
// about a finished step's metrics (JSON: a "warning" event per warning,
// {step, metric, message}; otherwise "warning: step S: ..." lines after its
// line).
class RunObserver : public exec::ExecObserver {
 public:
  // `run_reason(job)`: why job runs, asked when its first attempt starts.
  // `warnings(job)`: asked when it ends.
  RunObserver(exec::ProgressPrinter& printer, std::function<std::string(int)> run_reason,
              std::function<std::vector<MetricWarning>(int)> warnings, const RunOptions& options,
              const exec::JobGraph& graph);

  void OnRunStarted(const exec::JobGraph& graph) override { printer_.OnRunStarted(graph); }
  void OnEvent(const exec::JobEvent& event) override;
  void OnTick(int64_t now) override { printer_.OnTick(now); }
  void OnRunFinished(const exec::RunOutcome& outcome) override;

 private:
  exec::ProgressPrinter& printer_;
  std::function<std::string(int)> run_reason_;
  std::function<std::vector<MetricWarning>(int)> warnings_;
  const RunOptions& options_;
  const exec::JobGraph& graph_;
  std::vector<std::pair<std::string, std::string>> explained_;
};

}  // namespace mlpipe::engine
