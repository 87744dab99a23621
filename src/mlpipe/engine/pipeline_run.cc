#include "mlpipe/engine/pipeline_run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <ostream>
#include <thread>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/engine/job_graph_builder.h"
#include "mlpipe/engine/model_inputs.h"
#include "mlpipe/engine/pipeline_lock.h"
#include "mlpipe/engine/run_output.h"
#include "mlpipe/engine/run_recorder.h"
#include "mlpipe/engine/run_registrations.h"
#include "mlpipe/engine/run_stamp.h"
#include "mlpipe/engine/step_decider.h"
#include "mlpipe/engine/step_delegate.h"
#include "mlpipe/engine/step_processes.h"
#include "mlpipe/exec/executor.h"
#include "mlpipe/exec/interrupt.h"
#include "mlpipe/spec/graph_export.h"
#include "mlpipe/store/file_system.h"
#include "mlpipe/store/source_ingester.h"
#include "mlpipe/store/space_reserve.h"

namespace mlpipe::engine {
namespace {

// The sources: block as the store takes it.
store::SourceIngestOptions SourceIngestOptionsFor(const spec::PipelineSpec& spec,
                                                  std::function<void(const std::string&)> warn) {
  store::SourceIngestOptions o;
  o.store = spec.sources.store;
  o.max_size = static_cast<uint64_t>(spec.sources.max_size);
  switch (spec.sources.link) {
    case spec::SourceLink::kAuto:
    case spec::SourceLink::kReflink:
      o.mode = store::PutMode::kReflink;
      break;
    case spec::SourceLink::kHardlink:
      o.mode = store::PutMode::kLink;
      break;
    case spec::SourceLink::kCopy:
      o.mode = store::PutMode::kCopy;
      break;
  }
  o.warn = std::move(warn);
  return o;
}

metadata::RunStatus RunStatusOf(const exec::RunOutcome& outcome) {
  if (outcome.interrupted) return metadata::RunStatus::kCancelled;
  return outcome.ok ? metadata::RunStatus::kSucceeded : metadata::RunStatus::kFailed;
}

// Stamps a succeeded run (run_stamp.h says which runs qualify). A run without
// a stamp only misses the fast path next time: failures are not errors.
void StampRun(const Env& env, const LoadedPipeline& pipeline, const StepDecider& decider,
              const StepDelegate& delegate, int64_t run_id, const std::string& invocation) {
  const spec::PipelineSpec& spec = pipeline.spec;
  if (invocation.empty() || !spec.registers.empty() || ReadsRegisteredModels(spec)) return;
  for (const spec::StepSpec& step : spec.steps) {
    if (!step.cache) return;
  }
  RunStampData data;
  data.invocation = invocation;
  data.pipeline = spec.name;
  data.run_id = run_id;
  data.files = spec.read_files;
  data.absent = spec.absent_files;
  for (const auto& [path, ref] : decider.FilesRead()) data.files.emplace_back(path, ref);
  data.outputs = delegate.OutputRefs();
  // Stored sources too: a no-op rerun must leave them restorable.
  data.sources.assign(decider.StoredSources().begin(), decider.StoredSources().end());
  data.steps = delegate.StampSteps();
  auto stamp = EncodeRunStamp(data, env.clock->WallNanos());
  if (stamp.ok()) (void)env.db->PutRunStamp(*stamp);
}

// Records how the run ended. On a full disk the run must not be left
// "running" (shown as interrupted): it frees what it staged (partial outputs
// of failed steps, working folders) and the workspace's space reserve, then
// writes again.
Status FinishOnFullDisk(const Env& env, const store::Workspace& ws, RunRecorder& recorder,
                        metadata::RunStatus status, const std::string& reason) {
  Status finished = recorder.FinishRun(status, reason);
  if (finished.ok() || !store::IsDiskFull(finished.message())) return finished;
  store::FileSystem& fs = *env.fs;
  (void)fs.RemoveAll(ws.RunOutputsDir(recorder.run_id()));
  (void)fs.RemoveAll(ws.RunWorkDir(recorder.run_id()));
  (void)store::ReleaseSpaceReserve(ws);
  const std::string detail = store::DiskFullDetail(fs, ws.root());
  const std::string why =
      fmt::format("{}{}no space left on device: {}{}{}", reason, reason.empty() ? "" : "; ",
                  ws.MetadataDbPath(), detail.empty() ? "" : "; ", detail);
  return recorder.FinishRun(status, status == metadata::RunStatus::kSucceeded ? reason : why);
}

}  // namespace

StatusOr<RunReport> RunPipeline(const Env& env, const store::Workspace& ws, const LoadedPipeline& pipeline,
                                const RunOptions& options) {
  const spec::PipelineSpec& spec = pipeline.spec;
  // Handlers first: a SIGINT or SIGTERM while waiting for a lock cancels the
  // wait (exit 130) before anything is recorded.
  RETURN_IF_ERROR(exec::InstallInterruptHandlers());
  FileLock lock;
  RETURN_IF_ERROR(LockPipeline(lock, ws, spec.name, *options.err).status());
  // Shared with other runs, exclusive for `artifacts gc` (pipeline_lock.h).
  FileLock workspace_lock;
  RETURN_IF_ERROR(LockWorkspaceShared(workspace_lock, ws, *options.err));
  // What a kill -9 of the last run left running would otherwise run beside
  // this run's steps (step_processes.h).
  const std::string step_record = ws.StepProcessesPath(spec.name);
  if (auto ended = StepProcesses::EndLeftBehind(step_record); ended.ok() && !ended->empty()) {
    *options.err << fmt::format(
        "mlpipe: ended {} process{} that a killed run of pipeline '{}' left running (pid {})\n",
        ended->size(), ended->size() == 1 ? "" : "es", spec.name, fmt::join(*ended, ", "));
  }
  StepProcesses step_processes(step_record);
  (void)store::EnsureSpaceReserve(ws);  // what the final status is written with on a full disk
  RunRecorder recorder(*env.db, spec.name, *env.clock);
  recorder.SetBeforeCommit([&env, &ws] {
    if (store::NearlyFull(*env.fs, ws.root())) (void)store::ReleaseSpaceReserve(ws);
  });
  nlohmann::json info = {{"host", HostName()}, {"pid", static_cast<int64_t>(getpid())}};
  if (options.resumed_from) info["resumed_from"] = options.resumed_from;
  if (!options.trigger.empty()) info["trigger"] = options.trigger;
  // Absolute, so `mlpipe checkout` finds the pipeline's folder from anywhere.
  const std::string spec_path = store::JoinPath(spec.dir, store::BaseName(spec.file));
  RETURN_IF_ERROR(recorder.StartRun(spec_path, pipeline.params, info));
  lock.SetHolderInfo(fmt::format("pid {}, run {}", getpid(), recorder.run_id()));

  store::SourceIngester sources(*env.hashes, *env.objects,
                                SourceIngestOptionsFor(spec, [&options](const std::string& message) {
                                  *options.err << "mlpipe: warning: " << message << "\n";
                                }));
  if (!spec.sources.store) {
    *options.err << fmt::format(
        "mlpipe: warning: the sources of pipeline '{}' are not stored (sources: {{store: false}} at {}): a "
        "run "
        "that read a version of them cannot be restored once they change\n",
        spec.name, spec.sources.loc.ToString());
  }
  StepDecider decider(spec, pipeline.params, *env.hashes, sources, *env.objects, recorder, options.no_cache);
  exec::JobGraph graph = BuildJobGraph(spec);
  StepDelegate delegate(spec, ws, *env.objects, recorder, decider, *env.fs);
  if (Status made = delegate.Start(); !made.ok()) {
    (void)recorder.FinishRun(metadata::RunStatus::kFailed, made.message());
    return made;
  }

  RunnerHooks hooks;
  hooks.on_started = [&step_processes](pid_t pgid) { step_processes.Record(pgid); };
  hooks.jobs_record = step_record + ".jobs";
  hooks.pipeline = spec.name;
  hooks.scratch_dir = store::JoinPath(ws.RunDir(recorder.run_id()), "runner");
  hooks.note = [&options](const std::string& line) { *options.err << "mlpipe: " << line << "\n"; };
  std::unique_ptr<exec::CommandRunner> runner = env.make_runner(hooks);
  exec::ProgressOptions popts;
  popts.mode = options.progress;
  exec::ProgressPrinter printer(*options.out, popts);
  RunObserver observer(
      printer, [&delegate](int job) { return delegate.RunReason(job); },
      [&delegate](int job) { return delegate.MetricWarnings(job); }, options, graph);
  PrintRunStarted(options, recorder.run_id(), spec.name, spec.steps.size());
  exec::ExecutorOptions eopts;
  eopts.parallelism = options.parallelism > 0
                          ? options.parallelism
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  eopts.memory_budget_bytes = options.memory_budget;
  eopts.keep_going = options.keep_going;
  eopts.clock = env.clock;
  // Storing outputs waits on fsync, not on the CPU: more workers than slots
  // lets their fsyncs share the filesystem's journal commits.
  eopts.collect_threads = std::max(4, 2 * eopts.parallelism);
  exec::Executor executor(eopts);
  auto outcome = executor.Run(graph, delegate, *runner, &observer);
  if (!outcome.ok()) {
    (void)FinishOnFullDisk(env, ws, recorder, metadata::RunStatus::kFailed, outcome.status().message());
    return outcome.status();
  }
  delegate.RecordUnfinished(*outcome);
  if (outcome->ok && !spec.registers.empty() && !options.register_models) {
    if (options.progress != exec::ProgressMode::kJson)
      *options.out << "register: skipped for this run (" << spec.registers.size() << " entr"
                   << (spec.registers.size() == 1 ? "y" : "ies") << " not carried out)\n";
  } else if (outcome->ok && !spec.registers.empty()) {  // the register: block (run_registrations.h)
    Status registered = recorder.Flush();
    if (registered.ok()) {
      registered =
          RegisterRunModels(*env.db, *env.objects, spec, recorder.run_id(), *options.out,
                            options.progress == exec::ProgressMode::kJson, options.register_gate, *env.clock);
    }
    if (!registered.ok()) {
      *options.err << "mlpipe: " << registered.message() << "\n";
      outcome->ok = false;
      outcome->error = registered.message();
    }
  }
  const metadata::RunStatus status = RunStatusOf(*outcome);
  RETURN_IF_ERROR(FinishOnFullDisk(env, ws, recorder, status, outcome->error));
  (void)store::EnsureSpaceReserve(ws);  // again, if a full disk took it
  if (status == metadata::RunStatus::kSucceeded)
    StampRun(env, pipeline, decider, delegate, recorder.run_id(), options.invocation);
  (void)env.hashes->Flush();
  PrintRunFinished(options, recorder.run_id(), status);
  return RunReport{recorder.run_id(), std::move(*outcome)};
}

StatusOr<std::vector<StepPlan>> PlanPipeline(const Env& env, const LoadedPipeline& pipeline, bool no_cache) {
  const spec::PipelineSpec& spec = pipeline.spec;
  RunRecorder recorder(*env.db, spec.name, *env.clock);
  store::SourceIngestOptions hash_only;
  hash_only.store = false;  // plans read, never write
  store::SourceIngester sources(*env.hashes, *env.objects, hash_only);
  StepDecider decider(spec, pipeline.params, *env.hashes, sources, *env.objects, recorder, no_cache);
  std::map<std::string, ArtifactVersion> available;
  std::vector<StepPlan> plan;
  plan.reserve(spec.steps.size());  // 10,000 steps: no doubling slack
  for (int i : spec::TopologicalOrder(spec)) {
    const spec::StepSpec& step = spec.steps[i];
    std::string blocked;
    for (const auto& in : step.inputs) {
      if (in.kind == spec::InputBinding::Kind::kStepOutput && !available.count(in.value)) {
        blocked = in.step();
        break;
      }
    }
    if (!blocked.empty()) {
      plan.push_back({step.name, "run", "upstream " + blocked + " will run"});
      continue;
    }
    ASSIGN_OR_RETURN(StepDecision d, decider.Decide(step, available));
    if (d.cached) {
      // The version a run would record (never one made up: 0 if the content
      // has none under this name yet, and explanations then cite none).
      for (const auto& [name, ref] : d.hit->outputs) {
        std::string full = spec.name + "." + step.name + "." + name;
        ASSIGN_OR_RETURN(int64_t version, recorder.ExistingVersion(full, ref));
        available[step.name + "." + name] = ArtifactVersion{ref, full, version};
      }
    }
    plan.push_back({step.name, d.cached ? "cached" : "run", d.reason});
  }
  (void)env.hashes->Flush();
  return plan;
}

}  // namespace mlpipe::engine
