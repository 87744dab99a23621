// mlpipe run, mlpipe status.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/local_env.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/deploy/run_gate.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/engine/pipeline_run.h"
#include "mlpipe/engine/run_reuse.h"
#include "mlpipe/engine/run_stamp.h"
#include "mlpipe/exec/interrupt.h"
#include "mlpipe/metadata/open_store.h"
#include "mlpipe/metadata/sqlite_store.h"
#include "mlpipe/spec/params.h"

namespace mlpipe::cli {
namespace {

// -j with --executor slurm when not given: steps in Slurm's queue at once.
constexpr int kSlurmDefaultJobs = 1000;

// What a run's register: block would do, as plan entries named like the
// executions a run records for them ("register:MODEL").
std::vector<engine::StepPlan> RegistrationPlan(const spec::PipelineSpec& spec) {
  std::vector<engine::StepPlan> out;
  for (const spec::RegisterSpec& r : spec.registers) {
    std::string reason = "from " + r.From();
    if (!r.aliases.empty()) reason += ", alias " + fmt::format("{}", fmt::join(r.aliases, ", "));
    if (!r.When().empty()) reason += ", if " + r.When() + " says blessed";
    if (r.aliases.empty() && r.When().empty()) reason += " (a new version when the model's content is new)";
    out.push_back({"register:" + r.model, "register", reason});
  }
  return out;
}

void PrintPlan(const std::vector<engine::StepPlan>& plan, const spec::PipelineSpec& spec, bool json) {
  const std::vector<engine::StepPlan> registrations = RegistrationPlan(spec);
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : plan) out.push_back({{"step", p.step}, {"action", p.action}, {"reason", p.reason}});
    for (const auto& p : registrations)
      out.push_back({{"step", p.step}, {"action", p.action}, {"reason", p.reason}});
    std::cout << out.dump(2) << "\n";
    return;
  }
  size_t width = 4;
  for (const auto& p : plan) width = std::max(width, p.step.size());
  for (const auto& p : registrations) width = std::max(width, p.step.size());
  int runs = 0;
  for (const auto& p : plan) {
    std::cout << fmt::format("{:<{}}  {:<6}  {}\n", p.step, width, p.action, p.reason);
    runs += p.action == "run";
  }
  std::cout << fmt::format("{} of {} steps would run, {} cached\n", runs, plan.size(), plan.size() - runs);
  if (registrations.empty()) return;
  std::cout << "after a successful run:\n";
  for (const auto& p : registrations) std::cout << fmt::format("{:<{}}  {}\n", p.step, width, p.reason);
}

// --resume RUN: the pipeline loaded with RUN's params (a rerun then finds
// every completed step in the cache), later -p flags winning. RUN must be a
// run of this pipeline; a param RUN had that the pipeline no longer declares
// is left out, with a note on stderr.
StatusOr<engine::LoadedPipeline> LoadForResume(const RunArgs& args) {
  ASSIGN_OR_RETURN(auto stores, OpenAll());
  ASSIGN_OR_RETURN(auto run, stores.db->GetRun(args.resume_run));
  ASSIGN_OR_RETURN(auto pipeline, engine::LoadPipelineForRun(args.spec.pipeline, {}));
  if (run.pipeline != pipeline.spec.name) {
    return InvalidArgumentError(fmt::format(
        "--resume {}: run {} is a run of pipeline '{}', but {} is pipeline '{}' (mlpipe runs list --pipeline "
        "{} "
        "lists the runs it can resume)",
        args.resume_run, run.id, run.pipeline, args.spec.pipeline, pipeline.spec.name, pipeline.spec.name));
  }
  auto params = nlohmann::json::parse(run.params_json, nullptr, false);
  if (params.is_discarded())
    return DataLossError("run " + std::to_string(args.resume_run) + " has no params");
  std::vector<std::string> overrides;
  for (const auto& [k, v] : params.items()) {
    if (!pipeline.params.contains(k)) {
      std::cerr << fmt::format("mlpipe: note: run {}'s param '{}' is no longer declared by {}: left out\n",
                               args.resume_run, k, args.spec.pipeline);
      continue;
    }
    overrides.push_back(k + "=" + (v.is_string() ? v.get<std::string>() : v.dump()));
  }
  overrides.insert(overrides.end(), args.spec.params.begin(), args.spec.params.end());
  ASSIGN_OR_RETURN(pipeline.params, spec::ApplyParamOverrides(pipeline.spec, overrides));
  return pipeline;
}

}  // namespace

Status CmdRun(const RunArgs& args) {
  // A reader of the progress that goes away (`mlpipe run | head`, or a killed
  // `mlpipe server` reading --json) must not kill the run half way: writes
  // then fail with EPIPE and the run goes on and records itself. (Steps get
  // the default disposition back: exec/spawn.cc.)
  signal(SIGPIPE, SIG_IGN);
  // SIGINT and SIGTERM from here on stop the run with exit 130, also while it
  // waits for a lock (engine/pipeline_lock.h).
  RETURN_IF_ERROR(exec::InstallInterruptHandlers());
  exec::ClearInterrupt();
  // The workspace's settings (none yet before its first run: the
  // environment's alone).
  spec::WorkspaceConfig config;
  auto existing = OpenWorkspace(false);
  if (existing.ok()) {
    ASSIGN_OR_RETURN(config, LoadSettings(*existing));
  } else {
    RETURN_IF_ERROR(spec::ApplyEnvironment(config));
  }
  // Slurm answers and the partition exists, or exit 2 before anything runs.
  ASSIGN_OR_RETURN(ExecutorChoice executor,
                   ChooseExecutor(args.executor, args.partition, args.account, args.slurm_group, config));
  const std::vector<std::string>& overrides = args.spec.params;
  engine::RunOptions options;
  options.parallelism = args.jobs;
  // On a cluster, how many steps run at once is the scheduler's business.
  if (executor.executor == "slurm" && args.jobs == 0) options.parallelism = kSlurmDefaultJobs;
  options.memory_budget = args.memory_budget;
  options.no_cache = args.no_cache;
  options.explain = args.explain;
  options.keep_going = args.keep_going;
  options.progress = args.json ? exec::ProgressMode::kJson : exec::DetectProgressMode(STDOUT_FILENO);
  options.out = &std::cout;
  options.err = &std::cerr;
  options.resumed_from = args.resume_run;
  options.trigger = args.trigger;
  // A resumed run is stamped under its own overrides; it is never reused.
  if (args.resume_run == 0) options.invocation = engine::InvocationKey(args.spec.pipeline, overrides);
  if (!args.dry_run && !options.invocation.empty()) {
    // Nothing changed since a run of this command: reuse it whole.
    // (Without a workspace there is nothing to reuse, and a spec with
    // errors must not create one. The fast path reads the SQLite file
    // directly: a shared database goes the whole way.)
    if (existing.ok() && config.metadata.empty()) {
      ASSIGN_OR_RETURN(auto reused, engine::TryReuseRun(*existing, options));
      if (reused) return OkStatus();
    }
  }
  engine::LoadedPipeline pipeline;
  if (args.resume_run > 0) {
    ASSIGN_OR_RETURN(pipeline, LoadForResume(args));
  } else {
    ASSIGN_OR_RETURN(pipeline, engine::LoadPipelineForRun(args.spec.pipeline, overrides));
  }
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(true));
  ASSIGN_OR_RETURN(LocalEnv local, OpenLocalEnv(ws, executor, config));
  if (args.dry_run) {
    ASSIGN_OR_RETURN(auto plan, engine::PlanPipeline(local.env, pipeline, args.no_cache));
    PrintPlan(plan, pipeline.spec, args.json);
    return OkStatus();
  }
  // A deploy: block gates the model before it is registered (deploy/run_gate.h).
  // Its decisions and rollouts are kept where the runs are, through a
  // connection of their own.
  std::unique_ptr<metadata::DeploymentStore> deployments;
  std::unique_ptr<deploy::RunGate> gate;
  if (pipeline.spec.deploy) {
    ASSIGN_OR_RETURN(deployments, metadata::OpenDeploymentStore(MetadataLocation(ws, config)));
    gate = std::make_unique<deploy::RunGate>(deployments.get(), &std::cout, args.json);
    options.register_gate = gate.get();
  }
  ASSIGN_OR_RETURN(auto report, engine::RunPipeline(local.env, ws, pipeline, options));
  if (report.outcome.interrupted) return CancelledError(fmt::format("run {} interrupted", report.run_id));
  if (!report.outcome.ok) {
    return FailedPreconditionError(fmt::format(
        "run {} failed (mlpipe runs logs {} STEP shows a step's output)", report.run_id, report.run_id));
  }
  return OkStatus();
}

Status CmdStatus(const SpecArgs& args, bool json) {
  ASSIGN_OR_RETURN(auto pipeline, engine::LoadPipelineForRun(args.pipeline, args.params));
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(true));
  ASSIGN_OR_RETURN(LocalEnv local, OpenLocalEnv(ws));
  ASSIGN_OR_RETURN(auto plan, engine::PlanPipeline(local.env, pipeline, false));
  PrintPlan(plan, pipeline.spec, json);
  return OkStatus();
}

}  // namespace mlpipe::cli
