// mlpipe: the command-line entry point. Flags are parsed here (CLI11); the
// work is done by the Cmd* functions in commands.h.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <iostream>
#include <string_view>

#include "mlpipe/base/self_exe.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/cli/app_main.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/exit_codes.h"
#include "mlpipe/cli/serve_flags.h"
#include "mlpipe/cli/server_executable.h"
#include "mlpipe/cli/server_flags.h"
#include "mlpipe/spec/units.h"

namespace mlpipe::cli {
namespace {

void AddSpecArgs(CLI::App* cmd, SpecArgs* args, bool with_params) {
  cmd->add_option("pipeline", args->pipeline, "Pipeline YAML file")->required();
  if (with_params) {
    cmd->add_option("-p,--param", args->params, "Override a param: NAME=VALUE (repeatable)")
        ->allow_extra_args(false);
  }
}

int Main(int argc, char** argv) {
  CLI::App app{"mlpipe: machine-learning pipelines that retrain, test and redeploy themselves"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("mlpipe ") + MLPIPE_VERSION);
  std::function<Status()> action;

  // validate
  SpecArgs validate_args;
  bool validate_json = false;
  auto* validate = app.add_subcommand("validate", "Check a pipeline spec; every error with file:line:column");
  std::vector<std::string> validate_more;
  AddSpecArgs(validate, &validate_args, true);
  validate->add_option("more", validate_more, "More pipeline files, checked together for trigger loops");
  validate->add_flag("--json", validate_json, "Diagnostics as JSON");
  validate->callback(
      [&] { action = [&] { return CmdValidate(validate_args, validate_more, validate_json); }; });

  // run
  RunArgs run_args;
  auto* run = app.add_subcommand("run", "Run a pipeline; unchanged steps are reused from the cache");
  AddSpecArgs(run, &run_args.spec, true);
  run->add_option("-j,--jobs", run_args.jobs, "Steps run at once (default: number of cores)")
      ->check(CLI::Range(1, 4096));
  run->add_flag("--no-cache", run_args.no_cache, "Run every step even if a cached result exists");
  run->add_flag("--explain", run_args.explain, "Say why each step runs or is reused");
  run->add_flag("-k,--keep-going", run_args.keep_going, "After a failure, keep running independent steps");
  run->add_flag("-n,--dry-run", run_args.dry_run, "Show what would run and why; run nothing");
  run->add_flag("--json", run_args.json, "Stream one JSON object per event on stdout");
  run->add_option("--resume", run_args.resume_run,
                  "Continue run RUN (its params) instead of starting a new one");
  run->add_option("--memory", run_args.memory_budget, "Memory budget in bytes for steps' declared memory");
  run->add_option("--executor", run_args.executor,
                  "Where steps run: local (processes here, the default) or slurm (a batch job each); "
                  "default: $MLPIPE_EXECUTOR, executor: in .mlpipe/config.yaml, or local")
      ->check(CLI::IsMember({"local", "slurm"}));
  run->add_option("--partition", run_args.partition,
                  "Slurm partition of the steps' jobs (default: $MLPIPE_SLURM_PARTITION, slurm.partition in "
                  ".mlpipe/config.yaml, or the cluster's default)");
  run->add_option("--slurm-group", run_args.slurm_group,
                  "With --executor slurm: steps started together go in one job, at most N a job "
                  "(default: $MLPIPE_SLURM_GROUP, slurm.group in .mlpipe/config.yaml, or 1)")
      ->check(CLI::Range(1, 100000));
  run->add_option("--account", run_args.account,
                  "Slurm account of the steps' jobs (default: $MLPIPE_SLURM_ACCOUNT, slurm.account in "
                  ".mlpipe/config.yaml, or yours)");
  run->add_option("--trigger", run_args.trigger,
                  "Record TEXT as what started the run (mlpipe server sets it; default: by hand)");
  run->callback([&] { action = [&] { return CmdRun(run_args); }; });

  // status
  SpecArgs status_args;
  bool status_json = false;
  auto* status = app.add_subcommand("status", "What a run would do (run or cached) and why; runs nothing");
  AddSpecArgs(status, &status_args, true);
  status->add_flag("--json", status_json, "Output as JSON");
  status->callback([&] { action = [&] { return CmdStatus(status_args, status_json); }; });

  // graph
  SpecArgs graph_args;
  std::string graph_format = "dot";
  auto* graph = app.add_subcommand("graph", "Print the pipeline DAG");
  AddSpecArgs(graph, &graph_args, false);
  graph->add_option("--format", graph_format, "dot or mermaid")->check(CLI::IsMember({"dot", "mermaid"}));
  graph->callback([&] { action = [&] { return CmdGraph(graph_args, graph_format); }; });

  // runs
  auto* runs = app.add_subcommand("runs", "Runs: list, show, metrics, compare, logs, delete");
  runs->require_subcommand(1);
  RunsListArgs runs_list_args;
  auto* runs_list = runs->add_subcommand("list", "List runs, newest first (or ranked by a metric)");
  runs_list->add_flag("--json", runs_list_args.json, "Output as JSON");
  runs_list->add_option("--limit", runs_list_args.limit, "At most this many runs");
  runs_list->add_option("--pipeline", runs_list_args.pipeline, "Only runs of this pipeline");
  runs_list->add_option(
      "--sort", runs_list_args.sort,
      "Rank by a metric (STEP.NAME or NAME) or params.NAME, largest first; runs without it last");
  runs_list->add_flag("--asc", runs_list_args.ascending, "With --sort: smallest first");
  runs_list
      ->add_option("--filter", runs_list_args.filters,
                   "Only runs where FIELD OP VALUE holds ('roc_auc>0.7', 'params.max_depth==6'); repeatable")
      ->allow_extra_args(false);
  runs_list->callback([&] { action = [&] { return CmdRunsList(runs_list_args); }; });
  int64_t show_run = 0;
  bool show_json = false;
  auto* runs_show = runs->add_subcommand("show", "A run: params, steps, metrics, outputs");
  runs_show->add_option("run", show_run, "Run id")->required();
  runs_show->add_flag("--json", show_json, "Output as JSON");
  runs_show->callback([&] { action = [&] { return CmdRunsShow(show_run, show_json); }; });
  int64_t metrics_run = 0;
  std::string metrics_step;
  bool metrics_json = false;
  auto* runs_metrics =
      runs->add_subcommand("metrics", "A run's metrics: test metrics first, curves summarised");
  runs_metrics->add_option("run", metrics_run, "Run id")->required();
  runs_metrics->add_option("--step", metrics_step, "Only this step's metrics");
  runs_metrics->add_flag("--json", metrics_json, "Output as JSON (curves with every point)");
  runs_metrics->callback(
      [&] { action = [&] { return CmdRunsMetrics(metrics_run, metrics_step, metrics_json); }; });
  std::vector<int64_t> compare_runs;
  bool compare_json = false;
  auto* runs_compare = runs->add_subcommand("compare", "Params and metrics of runs side by side");
  runs_compare->add_option("runs", compare_runs, "Run ids")->required()->expected(2, 64);
  runs_compare->add_flag("--json", compare_json, "Output as JSON");
  runs_compare->callback([&] { action = [&] { return CmdRunsCompare(compare_runs, compare_json); }; });
  int64_t logs_run = 0;
  std::string logs_step;
  bool logs_stderr = false;
  int logs_attempt = 0;
  auto* runs_logs = runs->add_subcommand("logs", "A step's stdout and stderr");
  runs_logs->add_option("run", logs_run, "Run id")->required();
  runs_logs->add_option("step", logs_step, "Step name")->required();
  runs_logs->add_flag("--stderr", logs_stderr, "Only stderr");
  runs_logs->add_option("--attempt", logs_attempt, "Attempt number (default: the last)");
  runs_logs->callback(
      [&] { action = [&] { return CmdRunsLogs(logs_run, logs_step, logs_stderr, logs_attempt); }; });
  std::vector<int64_t> delete_runs;
  auto* runs_delete =
      runs->add_subcommand("delete", "Forget runs (their unique artifacts go at the next gc)");
  runs_delete->add_option("runs", delete_runs, "Run ids")->required();
  runs_delete->callback([&] { action = [&] { return CmdRunsDelete(delete_runs); }; });

  // artifacts
  auto* artifacts = app.add_subcommand("artifacts", "Artifacts: list, show, cat, lineage, gc, verify");
  artifacts->require_subcommand(1);
  ListArgs art_list_args;
  std::string art_prefix;
  auto* art_list = artifacts->add_subcommand("list", "Artifact versions, newest first");
  art_list->add_option("name", art_prefix, "Only names starting with this (PIPELINE.STEP.OUTPUT)");
  art_list->add_flag("--json", art_list_args.json, "Output as JSON");
  art_list->add_option("--limit", art_list_args.limit, "At most this many");
  art_list->callback([&] { action = [&] { return CmdArtifactsList(art_list_args, art_prefix); }; });
  std::string art_ref;
  bool art_json = false;
  auto* art_show = artifacts->add_subcommand("show", "One artifact: digest, path, size, producer, consumers");
  art_show->add_option("ref", art_ref, "NAME, NAME:vN or sha256:HEX")->required();
  art_show->add_flag("--json", art_json, "Output as JSON");
  art_show->callback([&] { action = [&] { return CmdArtifactsShow(art_ref, art_json); }; });
  auto* art_cat = artifacts->add_subcommand("cat", "Print a file artifact's content");
  art_cat->add_option("ref", art_ref, "NAME, NAME:vN or sha256:HEX")->required();
  art_cat->callback([&] { action = [&] { return CmdArtifactsCat(art_ref); }; });
  bool lineage_down = false;
  int lineage_depth = 0;
  auto* art_lineage = artifacts->add_subcommand("lineage", "Where an artifact came from (or what used it)");
  art_lineage->add_option("ref", art_ref, "NAME, NAME:vN or sha256:HEX")->required();
  art_lineage->add_flag("--downstream", lineage_down, "What was made from it, instead of what it came from");
  art_lineage->add_option("--depth", lineage_depth, "Levels to follow (0 = all)");
  art_lineage->add_flag("--json", art_json, "Output as JSON");
  art_lineage->callback(
      [&] { action = [&] { return CmdArtifactsLineage(art_ref, lineage_down, lineage_depth, art_json); }; });
  GcArgs gc_args;
  auto* art_gc = artifacts->add_subcommand("gc", "Remove objects that nothing kept needs");
  art_gc->add_flag("-n,--dry-run", gc_args.dry_run, "Say what would be removed; remove nothing");
  art_gc->add_option("--keep-versions", gc_args.keep_versions,
                     "Keep the newest N versions of every named output even without a run (default 3)");
  art_gc->add_flag("--json", gc_args.json, "Output as JSON");
  art_gc->add_flag("--no-wait", gc_args.no_wait,
                   "Fail (exit 1, nothing removed) instead of waiting for runs in progress");
  art_gc->add_flag("--force", gc_args.force,
                   "Collect even when the metadata never recorded a run but the store holds objects "
                   "(lost metadata: without --force gc refuses)");
  art_gc->add_flag(
      "--remote", gc_args.remote,
      "Collect in the workspace's S3 store too (objects.s3): what the shared metadata keeps is kept");
  std::string gc_min_age = "1h";
  art_gc->add_option(
      "--min-age", gc_min_age,
      "With --remote: keep S3 objects written less than this long ago, which another node's run "
      "may not have recorded yet (default 1h; 30m, 2h, 1d)");
  art_gc->callback([&] {
    action = [&]() -> Status {
      StatusOr<int64_t> min_age = spec::ParseDuration(gc_min_age);
      if (!min_age.ok()) {
        return InvalidArgumentError(
            fmt::format("artifacts gc --min-age {}: {}", gc_min_age, min_age.status().message()));
      }
      gc_args.min_age_ns = *min_age;
      return CmdArtifactsGc(gc_args);
    };
  });
  VerifyArgs verify_args;
  auto* art_verify = artifacts->add_subcommand(
      "verify",
      "Re-hash the store, check what metadata names is in it; exit 1 if anything is damaged or missing");
  art_verify->add_flag("--repair", verify_args.repair,
                       "Quarantine damaged objects and drop the cache entries that would reuse them");
  art_verify->add_flag("--remote", verify_args.remote,
                       "Also download and re-hash the S3 store's copy of everything the metadata names (with "
                       "--repair: send again what this workspace holds intact)");
  art_verify->add_flag("--json", verify_args.json, "Output as JSON");
  art_verify->callback([&] { action = [&] { return CmdArtifactsVerify(verify_args); }; });

  // checkout
  CheckoutArgs checkout_args;
  auto* checkout = app.add_subcommand("checkout", "Restore the sources a run read, from the object store");
  checkout->add_option("run", checkout_args.run, "Run id")->required();
  checkout->add_option("--to", checkout_args.to, "Restore under this folder instead of the pipeline's own");
  checkout->add_flag("-f,--force", checkout_args.force, "Overwrite files whose content is stored nowhere");
  checkout->add_flag("-n,--dry-run", checkout_args.dry_run, "Say what would be restored; change nothing");
  checkout->add_flag("--json", checkout_args.json, "Output as JSON");
  checkout->callback([&] { action = [&] { return CmdCheckout(checkout_args); }; });

  AddModelsCommands(app, &action);
  AddDeploymentsCommands(app, &action);
  // serve: a separate executable (serve_main.cc) that main() execs before
  // parsing; its flags are declared here too, for --help, completions and
  // man pages.
  static ServeFlags serve_flags;
  AddServeFlags(app, &serve_flags);
  static ServerFlags server_flags;
  AddServerFlags(app, &server_flags);
  AddInitCommand(app, &action);
  AddTestCommand(app, &action);
  AddExplainCommand(app, &action);
  AddAbCommand(app, &action);
  AddExportCommands(app, &action);
  AddStepExecCommand(app, &action);
  AddCompletionCommands(app, &action);

  // builtin (internal)
  std::string builtin_name, builtin_invocation;
  auto* builtin = app.add_subcommand("builtin", "Run a built-in component (used by the engine)");
  builtin->group("");  // hidden from help
  builtin->add_option("name", builtin_name)->required();
  builtin->add_option("--invocation", builtin_invocation)->required();
  builtin->callback([&] { action = [&] { return CmdBuiltin(builtin_name, builtin_invocation); }; });

  return ParseAndRun(app, action, argc, argv);
}

// `mlpipe serve ...` and `mlpipe server ...` become mlpipe-serve with the
// same arguments; MLPIPE_SELF tells it which mlpipe runs pipelines.
int ExecServe(char** argv) {
  const std::vector<std::string> candidates = ServerExecutableCandidates();
  const std::string self = SelfExecutable();
  if (!self.empty()) setenv("MLPIPE_SELF", self.c_str(), 1);
  int error = ENOENT;
  for (const std::string& server : candidates) {
    execv(server.c_str(), argv);
    if (errno != ENOENT) error = errno;  // e.g. EACCES says more than a miss
  }
  std::cerr << "mlpipe: error: cannot start the model server mlpipe-serve: " << std::strerror(error)
            << " (looked for " << (candidates.empty() ? "it" : Join(candidates, " and ")) << ")\n";
  return kExitFailed;
}

}  // namespace
}  // namespace mlpipe::cli

int main(int argc, char** argv) {
  if (argc >= 2 && (std::string_view(argv[1]) == "serve" || std::string_view(argv[1]) == "server")) {
    return mlpipe::cli::ExecServe(argv);
  }
  return mlpipe::cli::Main(argc, argv);
}
