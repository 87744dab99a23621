// mlpipe step-exec: what a Slurm job runs on its node when the workspace's
// steps are staged through the S3 store (`slurm.staging: node`,
// engine/node_staging.h). Reads the request the submitter put in the bucket,
// runs the step in a folder of the node's own (engine/node_step_exec.h) and
// puts its result beside the request. Hidden from help: the engine runs it.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "mlpipe/base/clock.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/shared_objects.h"
#include "mlpipe/engine/node_step_exec.h"
#include "mlpipe/exec/interrupt.h"
#include "mlpipe/exec/local_runner.h"
#include "mlpipe/store/remote_objects.h"

namespace mlpipe::cli {
namespace {

struct StepExecArgs {
  spec::WorkspaceConfig config;
  std::string node_dir;
  std::string token;
};

Status CmdStepExec(StepExecArgs& args) {
  RETURN_IF_ERROR(exec::InstallInterruptHandlers());
  ASSIGN_OR_RETURN(std::unique_ptr<store::S3Client> client, OpenSharedObjectsClient(args.config));
  if (client == nullptr) return InvalidArgumentError("step-exec needs --s3-endpoint");
  const std::string result_key = engine::NodeStepKey(args.token, "result.json");
  // Whatever goes wrong is sent back, for the submitter to report.
  auto send_error = [&](const Status& s) {
    engine::NodeStepResult failed;
    failed.result.error = fmt::format("on the node: {}", s.message());
    (void)engine::PutNodeStepJson(*client, result_key, engine::NodeStepResultJson(failed));
    return s;
  };
  auto request_json = engine::GetNodeStepJson(*client, engine::NodeStepKey(args.token, "request.json"));
  if (!request_json.ok()) return send_error(request_json.status());
  auto request = engine::ParseNodeStepRequest(*request_json);
  if (!request.ok()) return send_error(request.status());

  auto objects = store::ObjectStore::Open(store::Workspace(args.node_dir + "/store"));
  if (!objects.ok()) return send_error(objects.status());
  store::RemoteObjects remote(*client, **objects);
  (*objects)->SetRemote(&remote);
  exec::LocalRunnerOptions options;
  options.clock = &RealClock();
  exec::LocalRunner runner(options);
  auto result = engine::RunNodeStep(*request, **objects, runner);
  if (!result.ok()) return send_error(result.status());
  RETURN_IF_ERROR(engine::PutNodeStepJson(*client, result_key, engine::NodeStepResultJson(*result)));
  if (!result->result.ok())
    return AbortedError(fmt::format("step {}: {}", request->command.name, result->result.Describe()));
  return OkStatus();
}

}  // namespace

void AddStepExecCommand(CLI::App& app, Action* action) {
  static StepExecArgs args;
  auto* cmd = app.add_subcommand("step-exec", "Run a staged step on a Slurm node (used by the engine)");
  cmd->group("");  // hidden from help
  spec::S3Settings& s3 = args.config.s3;
  cmd->add_option("--s3-endpoint", s3.endpoint, "The S3 store's endpoint")->required();
  cmd->add_option("--s3-bucket", s3.bucket, "Its bucket")->required();
  cmd->add_option("--s3-prefix", s3.prefix, "Its key prefix");
  cmd->add_option("--s3-region", s3.region, "Its region");
  cmd->add_option("--node-dir", args.node_dir, "The node's folder (its store, the steps' folders)")
      ->required();
  cmd->add_option("--token", args.token, "The step's request in the store")->required();
  cmd->callback([action] { *action = [] { return CmdStepExec(args); }; });
}

}  // namespace mlpipe::cli
