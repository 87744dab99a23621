// StepDelegate: the exec::JobDelegate of a pipeline run. Job i is step i.
// Prepare decides caching (StepDecider) and builds the command; Collect
// ingests the outputs (on a worker thread) and Finish records the execution; AttemptFailed records the
// failure, with the outputs a step marks keep_on_failure and the metrics it
// reported when its last attempt exited with a failure code. Not
// thread-safe (the executor calls it from one thread).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mlpipe/engine/run_folders.h"
#include "mlpipe/engine/run_recorder.h"
#include "mlpipe/engine/run_stamp.h"
#include "mlpipe/engine/step_command.h"
#include "mlpipe/engine/step_decider.h"
#include "mlpipe/exec/executor.h"
#include "mlpipe/spec/pipeline.h"
#include "mlpipe/store/layout.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {

class StepDelegate : public exec::JobDelegate {
 public:
  // The recorder's run must have started (its id names the run's folders).
  // `fs` holds the run's folders (RunFolders).
  StepDelegate(const spec::PipelineSpec& spec, const store::Workspace& ws, store::ObjectStore& objects,
               RunRecorder& recorder, StepDecider& decider, store::FileSystem& fs);

  // Makes the run's fixed folders (RunFolders); call before the executor runs.
  Status Start();
  StatusOr<exec::JobLaunch> Prepare(int job, int attempt) override;
  // Collect stores the outputs (hash, fsync, rename into the store) and reads
  // the reported metrics; it touches only the step's own files and state, so
  // the executor runs it on a worker thread. Finish records it all.
  bool HasCollect() const override { return true; }
  Status Collect(int job, int attempt, const exec::CommandResult& result) override;
  // A step without outputs has nothing to hash or store: collected inline.
  bool CollectOnWorker(int job) const override { return !spec_.steps[job].outputs.empty(); }
  Status Finish(int job, int attempt, const exec::CommandResult& result) override;
  void AttemptFailed(int job, int attempt, const exec::CommandResult& result, const std::string& reason,
                     bool will_retry) override;
  // On a full disk (the reason says so, or less than the space reserve is
  // left where the run writes): how full, and what the step's outputs took.
  std::string FailureNote(int job, const std::string& reason) override;
  // Group commit of the run's records (RunRecorder batches them).
  bool HasPendingWork() const override { return recorder_.HasPending(); }
  void FlushPendingWork() override;
  // True if a step this one reads from or runs after finished in the
  // recorder's uncommitted batch.
  bool DependsOnUncommitted(const spec::StepSpec& step) const;

  // Why step `job` runs (set by Prepare when it decides to run; "" if cached
  // or not prepared yet).
  const std::string& RunReason(int job) const { return steps_[job].run_reason; }
  // What step `job` reported through MLPIPE_METRICS that was not recorded
  // (metrics_file.h), once it finished; each is also a note of the run.
  const std::vector<MetricWarning>& MetricWarnings(int job) const { return steps_[job].metric_warnings; }
  // Records the final state of steps that never finished (skipped,
  // cancelled, interrupted while running).
  void RecordUnfinished(const exec::RunOutcome& outcome);
  // After a run where every step succeeded or was cached: each step with the
  // run its result came from, in spec order, and every output's ref.
  std::vector<StampedStep> StampSteps() const;
  std::vector<std::string> OutputRefs() const;

 private:
  struct StepState {
    StepDecision decision;
    int64_t execution_id = 0;
    std::string run_reason;
    std::map<std::string, std::string> output_paths;
    std::string work_dir;  // taken from folders_ ("" when the step names its own)
    std::string metrics_path;
    std::vector<OutputIngested> stored;          // by Collect
    std::vector<MetricPoint> metrics;            // by Collect
    std::vector<MetricWarning> metric_warnings;  // by Collect
    bool finished = false;
  };

  // Stores the step's written outputs (with `kept_only`, only those marked
  // keep_on_failure, skipping any it did not write) and reads its metrics
  // (metrics outputs and MLPIPE_METRICS) into its state. Touches only the
  // step's own files and state (Collect runs it on a worker).
  Status ReadOutputsAndMetrics(int job, bool kept_only);
  // After a step's last attempt failed: records its keep_on_failure outputs
  // and reported metrics with its failed execution (never a cache entry).
  void KeepFailedOutputs(int job, const exec::CommandResult& result);
  // Each warning about a step's metrics becomes a note of the run.
  void AddWarningNotes(const std::string& step, const std::vector<MetricWarning>& warnings);
  // Gives the step's working folder back to the pool (RunFolders), if it took one.
  void GiveBackWorkDir(StepState& st, const std::string& keep_as);
  // Fills command.files: what the step reads and writes by path.
  void DescribeFiles(const spec::StepSpec& step, const StepState& st, const StepInvocation& inv,
                     exec::Command& command) const;

  const spec::PipelineSpec& spec_;
  const store::Workspace& ws_;
  store::ObjectStore& objects_;
  RunRecorder& recorder_;
  StepDecider& decider_;
  std::string self_exe_;
  std::vector<StepState> steps_;
  std::map<std::string, ArtifactVersion> available_;  // "STEP.OUTPUT" -> version
  const int64_t run_id_;
  std::unique_ptr<RunFolders> folders_;  // last: its thread must stop before the members above go
};

}  // namespace mlpipe::engine
