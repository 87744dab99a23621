// The mlpipe commands. main.cc parses flags (CLI11) into these option
// structs and calls one function; each returns a Status that ExitCodeFor
// turns into the process exit code. Output goes to stdout (results) and
// stderr (errors, progress that is not the result).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"

namespace CLI {
class App;
}

namespace mlpipe::cli {

// Subcommand groups that live in their own files register themselves: each
// adds its subcommands to `app` and, from a subcommand's callback, sets
// `*action` to the work to do. Option storage must outlive parsing (static or
// heap-owned by the registering function).
using Action = std::function<Status()>;
void AddModelsCommands(CLI::App& app, Action* action);  // cmd_models.cc: mlpipe models ...
void AddServeCommand(CLI::App& app, Action* action);    // cmd_serve.cc: mlpipe serve ...
void AddServerCommand(CLI::App& app, Action* action);   // cmd_server.cc: mlpipe server ...
void AddInitCommand(CLI::App& app, Action* action);     // cmd_init.cc: mlpipe init
// cmd_completion.cc: mlpipe completion bash|zsh, and the hidden `manpages`;
// both describe `app` as it is when they run, every command registered.
void AddCompletionCommands(CLI::App& app, Action* action);
void AddTestCommand(CLI::App& app, Action* action);  // cmd_test.cc: mlpipe test (CI for a pipeline)
// cmd_deployments.cc: mlpipe deployments apply | list | show | history | set-weights | promote | rollback
void AddDeploymentsCommands(CLI::App& app, Action* action);
void AddExplainCommand(CLI::App& app, Action* action);  // cmd_explain.cc: mlpipe explain DECISION
void AddAbCommand(CLI::App& app, Action* action);       // cmd_ab.cc: mlpipe ab (offline A/B of two pipelines)
void AddExportCommands(CLI::App& app, Action* action);  // cmd_export.cc: mlpipe export argo | slurm
void AddStepExecCommand(CLI::App& app, Action* action);  // cmd_step_exec.cc: mlpipe step-exec (on a node)

struct SpecArgs {
  std::string pipeline;             // path of the pipeline YAML
  std::vector<std::string> params;  // -p NAME=VALUE
};

// Validates args.pipeline and each of `more` (the -p overrides apply to
// each), then checks them together for trigger loops (spec/trigger_loops.h).
Status CmdValidate(const SpecArgs& args, const std::vector<std::string>& more, bool json);
Status CmdGraph(const SpecArgs& args, const std::string& format);

struct RunArgs {
  SpecArgs spec;
  int jobs = 0;  // -j; 0 = number of cores
  bool no_cache = false;
  bool explain = false;
  bool keep_going = false;
  bool dry_run = false;
  bool json = false;
  int64_t resume_run = 0;     // --resume RUN (0 = a new run)
  std::string trigger;        // --trigger TEXT: recorded as what started the run
  int64_t memory_budget = 0;  // --memory (bytes, 0 = unlimited)
  std::string executor;       // --executor: local (default) or slurm
  std::string partition;      // --partition (slurm)
  std::string account;        // --account (slurm)
  int slurm_group = 0;        // --slurm-group (slurm; 0 = $MLPIPE_SLURM_GROUP or 1)
};

// Runs a pipeline. Exit: 0 all steps succeeded or cached, 1 a step failed,
// 2 invalid spec or flags (nothing runs), 130 interrupted.
Status CmdRun(const RunArgs& args);
// What a run would do and why; runs nothing, records nothing.
Status CmdStatus(const SpecArgs& args, bool json);

struct ListArgs {
  bool json = false;
  int limit = 50;
  std::string pipeline;  // filter; "" = all
};

struct RunsListArgs : ListArgs {
  std::string sort;                  // --sort FIELD (run_query.h); "" = newest first
  bool ascending = false;            // --asc: smallest first (default: largest first)
  std::vector<std::string> filters;  // --filter EXPR, all must match
};

Status CmdRunsList(const RunsListArgs& args);
Status CmdRunsShow(int64_t run, bool json);
// A run's metrics alone: test metrics first, then each step's, curves
// summarised (cmd_runs_metrics.cc). `step` "" = every step.
Status CmdRunsMetrics(int64_t run, const std::string& step, bool json);
Status CmdRunsCompare(const std::vector<int64_t>& runs, bool json);
Status CmdRunsLogs(int64_t run, const std::string& step, bool stderr_only, int attempt);
Status CmdRunsDelete(const std::vector<int64_t>& runs);

Status CmdArtifactsList(const ListArgs& args, const std::string& name_prefix);
Status CmdArtifactsShow(const std::string& ref, bool json);
Status CmdArtifactsCat(const std::string& ref);
Status CmdArtifactsLineage(const std::string& ref, bool downstream, int depth, bool json);
struct GcArgs {
  bool dry_run = false;
  int keep_versions = 3;  // newest N versions of every named output are kept
  bool json = false;
  bool no_wait = false;  // fail instead of waiting for runs in progress
  bool force = false;    // collect even when the metadata looks lost (it never recorded a run)
  bool remote = false;   // collect in the workspace's S3 store too
  int64_t min_age_ns = int64_t{3600} * 1'000'000'000;  // S3 objects younger than this are kept
};
Status CmdArtifactsGc(const GcArgs& args);
struct VerifyArgs {
  bool json = false;
  bool repair = false;  // quarantine damaged objects and drop the cache entries that reuse them
  bool remote = false;  // re-hash the S3 store's copy of everything named
};
Status CmdArtifactsVerify(const VerifyArgs& args);

struct CheckoutArgs {
  int64_t run = 0;
  std::string to;  // "" = the pipeline's own folder
  bool force = false;
  bool dry_run = false;
  bool json = false;
};
// Restores the sources a run read. Exit 1 when a source cannot be restored
// (nothing is then restored), 2 for an unknown run.
Status CmdCheckout(const CheckoutArgs& args);

// Internal: runs a built-in component in this process (the engine spawns
// `mlpipe builtin NAME --invocation FILE`).
Status CmdBuiltin(const std::string& name, const std::string& invocation_path);

}  // namespace mlpipe::cli
