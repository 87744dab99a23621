#include "mlpipe/engine/step_delegate.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "mlpipe/base/self_exe.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/engine/metrics_file.h"
#include "mlpipe/engine/step_command.h"
#include "mlpipe/store/space_reserve.h"

namespace mlpipe::engine {
namespace fs = std::filesystem;

StepDelegate::StepDelegate(const spec::PipelineSpec& spec, const store::Workspace& ws,
                           store::ObjectStore& objects, RunRecorder& recorder, StepDecider& decider,
                           store::FileSystem& fs)
    : spec_(spec),
      ws_(ws),
      objects_(objects),
      recorder_(recorder),
      decider_(decider),
      self_exe_(SelfExecutable()),
      steps_(spec.steps.size()),
      run_id_(recorder.run_id()) {
  if (self_exe_.empty()) self_exe_ = "mlpipe";  // /proc/self/exe unreadable: the one on PATH
  folders_ = std::make_unique<RunFolders>(ws, run_id_, fs);
}

Status StepDelegate::Start() { return folders_->Make(); }

StatusOr<exec::JobLaunch> StepDelegate::Prepare(int job, int attempt) {
  const spec::StepSpec& step = spec_.steps[job];
  StepState& st = steps_[job];
  ExecutionStart start;
  if (attempt == 1) {
    ASSIGN_OR_RETURN(st.decision, decider_.Decide(step, available_));
  }
  start.step = step.name;
  start.key = st.decision.key;
  start.key_record = st.decision.record;
  start.reason = st.decision.reason;
  start.attempt = attempt;
  start.inputs = st.decision.inputs;

  if (st.decision.cached) {
    ASSIGN_OR_RETURN(auto outputs, recorder_.RecordCached(start, *st.decision.hit));
    for (auto& [name, version] : outputs) available_[step.name + "." + name] = version;
    st.finished = true;
    exec::JobLaunch launch;
    launch.kind = exec::JobLaunch::kSatisfied;
    launch.reason = st.decision.reason;
    return launch;
  }
  st.run_reason = st.decision.reason;
  if (DependsOnUncommitted(step)) RETURN_IF_ERROR(recorder_.Flush());
  ASSIGN_OR_RETURN(st.execution_id, recorder_.StartExecution(start));

  st.metrics_path = ws_.MetricsFilePath(run_id_, step.name, attempt);
  st.output_paths.clear();
  for (const auto& o : step.outputs)
    st.output_paths[o.name] = ws_.StagedOutputPath(run_id_, step.name, o.name);
  if (attempt > 1 || !folders_->fresh()) {  // what an earlier attempt (or process) left
    for (const auto& [name, path] : st.output_paths) RETURN_IF_ERROR(folders_->ClearStaged(path));
    RETURN_IF_ERROR(folders_->ClearStaged(st.metrics_path));
  }
  st.work_dir.clear();
  if (step.workdir.empty()) {
    ASSIGN_OR_RETURN(st.work_dir, folders_->TakeWorkDir());
  }

  StepInvocation inv;
  inv.spec = &spec_;
  inv.step = &step;
  inv.run_id = run_id_;
  inv.attempt = attempt;
  inv.params = st.decision.params;
  for (const auto& [name, version] : st.decision.inputs) {
    auto src = st.decision.input_paths.find(name);
    if (src != st.decision.input_paths.end()) {
      inv.inputs[name] = src->second;
    } else {
      ASSIGN_OR_RETURN(inv.inputs[name], objects_.Materialize(version.ref));
    }
  }
  inv.outputs = st.output_paths;
  inv.work_dir = st.work_dir;
  inv.metrics_path = st.metrics_path;
  inv.stdout_path = ws_.AttemptStdoutLog(run_id_, step.name, attempt);
  inv.stderr_path = ws_.AttemptStderrLog(run_id_, step.name, attempt);
  inv.invocation_path = ws_.InvocationPath(run_id_, step.name, attempt);
  inv.script_path = ws_.ScriptPath(run_id_, step.name, attempt);
  inv.self_exe = self_exe_;
  exec::JobLaunch launch;
  launch.kind = exec::JobLaunch::kRun;
  ASSIGN_OR_RETURN(launch.command, BuildStepCommand(inv));
  DescribeFiles(step, st, inv, launch.command);
  launch.reason = st.run_reason;
  return launch;
}

void StepDelegate::DescribeFiles(const spec::StepSpec& step, const StepState& st, const StepInvocation& inv,
                                 exec::Command& command) const {
  exec::Command::Files& files = command.files;
  files.roots = {ws_.root(), fs::path(spec_.dir).lexically_normal().string()};
  for (const auto& [name, version] : st.decision.inputs)
    files.objects.emplace_back(inv.inputs.at(name), version.ref);
  for (const std::string& code : step.code_files) {
    files.sent.push_back(fs::path(code).is_absolute() ? code : (fs::path(spec_.dir) / code).string());
  }
  for (const std::string* written : {&inv.invocation_path, &inv.script_path}) {
    if (std::find(command.argv.begin(), command.argv.end(), *written) != command.argv.end())
      files.generated.push_back(*written);
  }
  for (const auto& [name, path] : st.output_paths) files.returned.push_back(path);
  files.returned.push_back(st.metrics_path);
}

Status StepDelegate::Collect(int job, int attempt, const exec::CommandResult& result) {
  RETURN_IF_ERROR(ReadOutputsAndMetrics(job, /*kept_only=*/false));
  GiveBackWorkDir(steps_[job], /*keep_as=*/"");
  return OkStatus();
}

Status StepDelegate::Finish(int job, int attempt, const exec::CommandResult& result) {
  const spec::StepSpec& step = spec_.steps[job];
  StepState& st = steps_[job];
  ExecutionEnd end;
  end.status = metadata::ExecutionStatus::kSucceeded;
  end.attempt = attempt;
  end.exit_code = result.exit_code;
  end.wall_ns = result.wall_ns;
  end.cpu_ns = result.cpu_ns;
  end.max_rss_bytes = result.max_rss_bytes;
  end.reason = st.run_reason;
  end.stdout_path = ws_.AttemptStdoutLog(run_id_, step.name, attempt);
  end.stderr_path = ws_.AttemptStderrLog(run_id_, step.name, attempt);
  ASSIGN_OR_RETURN(auto versions, recorder_.FinishExecution(st.execution_id, step.name, st.decision.key, end,
                                                            st.stored, st.metrics));
  AddWarningNotes(step.name, st.metric_warnings);
  for (auto& [name, version] : versions) available_[step.name + "." + name] = version;
  st.finished = true;
  return OkStatus();
}

void StepDelegate::AttemptFailed(int job, int attempt, const exec::CommandResult& result,
                                 const std::string& reason, bool will_retry) {
  StepState& st = steps_[job];
  GiveBackWorkDir(st, ws_.KeptWorkDir(run_id_, spec_.steps[job].name, attempt));
  if (st.execution_id == 0) return;
  if (!will_retry) KeepFailedOutputs(job, result);
  // A step that failed for want of disk: its end must still be written, and
  // any write may need a page the full disk lacks (SQLite then rolls back the
  // whole batch, this end with it). So what it staged goes first (nothing
  // reads a failed step's outputs: those it keeps on failure were stored
  // just above), then the reserve. The space the reserve alone gives back
  // was not always enough for the batch (a loaded run left the step
  // "running" about one time in five).
  if (store::NearlyFull(folders_->fs(), ws_.root())) {
    for (const auto& [name, path] : st.output_paths) (void)folders_->ClearStaged(path);
    (void)store::ReleaseSpaceReserve(ws_);
  }
  ExecutionEnd end;
  end.status = will_retry ? metadata::ExecutionStatus::kRunning : metadata::ExecutionStatus::kFailed;
  end.attempt = attempt;
  end.exit_code = result.exit_code;
  end.wall_ns = result.wall_ns;
  end.cpu_ns = result.cpu_ns;
  end.max_rss_bytes = result.max_rss_bytes;
  end.reason = reason;
  end.stdout_path = ws_.AttemptStdoutLog(run_id_, spec_.steps[job].name, attempt);
  end.stderr_path = ws_.AttemptStderrLog(run_id_, spec_.steps[job].name, attempt);
  (void)recorder_.EndExecution(st.execution_id, spec_.steps[job].name, end);
  if (!will_retry) st.finished = true;
}

std::string StepDelegate::FailureNote(int job, const std::string& reason) {
  store::FileSystem& fs = folders_->fs();
  const std::string where = ws_.RunDir(run_id_);
  if (!store::IsDiskFull(reason) && !store::NearlyFull(fs, where)) return "";
  uint64_t written = 0;
  for (const auto& [name, path] : steps_[job].output_paths) {
    if (auto size = fs.TreeSize(path); size.ok()) written += *size;
  }
  const std::string detail = store::DiskFullDetail(fs, where);
  if (detail.empty()) return "";
  return fmt::format("{} (its outputs had {} when it failed)", detail, FormatBytes(written));
}

Status StepDelegate::ReadOutputsAndMetrics(int job, bool kept_only) {
  const spec::StepSpec& step = spec_.steps[job];
  StepState& st = steps_[job];
  st.stored.clear();
  st.metrics.clear();
  for (const auto& o : step.outputs) {
    if (kept_only && !o.keep_on_failure) continue;
    const std::string& path = st.output_paths[o.name];
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(path, ec))) {
      if (o.optional || kept_only) continue;
      return FailedPreconditionError(
          fmt::format("step did not write its output '{}' (expected at {})", o.name, path));
    }
    if (o.type == "metrics" && fs::is_regular_file(path, ec)) {
      auto points = ReadMetricsOutput(path);
      st.metrics.insert(st.metrics.end(), points.begin(), points.end());
    }
    store::PutOptions put;
    put.mode = store::PutMode::kMove;
    // --no-cache distrusts what is stored: an existing copy of this content
    // is re-hashed, and replaced if damaged.
    put.rehash_existing = decider_.no_cache();
    auto stored = objects_.Put(path, put);
    if (!stored.ok()) return stored.status().WithContext("storing output '" + o.name + "'");
    st.stored.push_back({o.name, o.type, stored->ref, stored->size, stored->is_dir});
  }
  ReportedMetrics reported = ReadMetricsFile(st.metrics_path);
  st.metrics = MergeReportedMetrics(std::move(st.metrics), reported.points);
  st.metric_warnings = std::move(reported.warnings);
  return OkStatus();
}

void StepDelegate::AddWarningNotes(const std::string& step, const std::vector<MetricWarning>& warnings) {
  for (const MetricWarning& w : warnings)
    recorder_.AddNote(fmt::format("warning: step {}: {}", step, w.message));
}

void StepDelegate::KeepFailedOutputs(int job, const exec::CommandResult& result) {
  // Only a process that ended by itself with a failure code: one that was
  // killed (timeout, signal, interrupt) may have left its files half
  // written, and one that exited 0 failed in Collect, which may have stored
  // some outputs already.
  if (result.exit_code <= 0 || result.term_signal != 0 || result.timed_out || result.cancelled ||
      !result.error.empty()) {
    return;
  }
  StepState& st = steps_[job];
  const std::string& name = spec_.steps[job].name;
  Status read = ReadOutputsAndMetrics(job, /*kept_only=*/true);
  if (!read.ok()) {
    // Its failure is what the run reports; this only loses the kept files.
    recorder_.AddNote(fmt::format("warning: step {}: its outputs kept on failure were not stored: {}", name,
                                  read.message()));
    return;
  }
  AddWarningNotes(name, st.metric_warnings);
  if (st.stored.empty() && st.metrics.empty()) return;
  auto recorded = recorder_.RecordFailedOutputs(st.execution_id, name, st.stored, st.metrics);
  if (!recorded.ok()) {
    recorder_.AddNote(fmt::format("warning: step {}: what it left on failure was not recorded: {}", name,
                                  recorded.status().message()));
  }
}

void StepDelegate::GiveBackWorkDir(StepState& st, const std::string& keep_as) {
  if (st.work_dir.empty()) return;
  folders_->GiveBackWorkDir(std::move(st.work_dir), keep_as);
  st.work_dir.clear();
}

bool StepDelegate::DependsOnUncommitted(const spec::StepSpec& step) const {
  for (const auto& in : step.inputs) {
    if (in.kind == spec::InputBinding::Kind::kStepOutput &&
        recorder_.FinishedUncommitted(std::string(in.step())))
      return true;
  }
  return std::any_of(step.after.begin(), step.after.end(),
                     [&](const std::string& s) { return recorder_.FinishedUncommitted(s); });
}

void StepDelegate::FlushPendingWork() {
  // A failed commit loses only records (their steps run again next time);
  // the run's final commit reports the error.
  (void)recorder_.Flush();
}

void StepDelegate::RecordUnfinished(const exec::RunOutcome& outcome) {
  for (size_t i = 0; i < steps_.size() && i < outcome.jobs.size(); ++i) {
    StepState& st = steps_[i];
    const auto& jo = outcome.jobs[i];
    if (st.finished && jo.state != exec::JobState::kFailed) continue;
    if (jo.state == exec::JobState::kSucceeded || jo.state == exec::JobState::kCached) continue;
    if (st.finished && st.execution_id != 0) continue;  // failure already recorded
    ExecutionEnd end;
    end.status = jo.state == exec::JobState::kFailed ? metadata::ExecutionStatus::kFailed
                 : jo.state == exec::JobState::kSkipped
                     ? metadata::ExecutionStatus::kSkipped
                     : metadata::ExecutionStatus::kCancelled;  // never finished
    end.attempt = jo.attempts;
    end.exit_code = jo.result.exit_code;
    end.wall_ns = jo.wall_ns;
    end.reason = jo.reason;
    (void)recorder_.EndExecution(st.execution_id, spec_.steps[i].name, end);
  }
}

std::vector<StampedStep> StepDelegate::StampSteps() const {
  std::vector<StampedStep> out;
  out.reserve(steps_.size());
  for (size_t i = 0; i < steps_.size(); ++i) {
    const StepDecision& d = steps_[i].decision;
    out.push_back({spec_.steps[i].name, d.cached && d.hit ? d.hit->run_id : run_id_});
  }
  return out;
}

std::vector<std::string> StepDelegate::OutputRefs() const {
  std::vector<std::string> out;
  out.reserve(available_.size());
  for (const auto& [name, version] : available_) out.push_back(version.ref);
  return out;
}

}  // namespace mlpipe::engine
