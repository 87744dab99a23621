// mlpipe export argo | slurm: a pipeline handed to another scheduler, with
// mlpipe's cache decision made first (src/mlpipe/export/).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "mlpipe/base/self_exe.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/export_reads.h"
#include "mlpipe/cli/local_env.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/export/argo_workflow.h"
#include "mlpipe/export/export_plan.h"
#include "mlpipe/export/slurm_scripts.h"
#include "mlpipe/export/yaml_text.h"

namespace mlpipe::cli {
namespace {

namespace fs = std::filesystem;

struct ExportArgs {
  SpecArgs spec;
  std::string out;  // argo: a file ("" = stdout); slurm: a folder (required)
  bool no_cache = false;
  exporter::ArgoOptions argo;
  std::string format = "yaml";
};

// The pipeline loaded with its -p overrides and decided against the
// workspace's stores (read only), as `mlpipe status` decides it.
struct ExportInput {
  engine::LoadedPipeline pipeline;
  store::Workspace ws{""};
  LocalEnv local;
  exporter::ExportPlan plan;
};

StatusOr<std::unique_ptr<ExportInput>> LoadAndPlan(const ExportArgs& args) {
  auto in = std::make_unique<ExportInput>();
  ASSIGN_OR_RETURN(in->pipeline, engine::LoadPipelineForRun(args.spec.pipeline, args.spec.params));
  ASSIGN_OR_RETURN(in->ws, OpenWorkspace(true));
  ASSIGN_OR_RETURN(in->local, OpenLocalEnv(in->ws));
  ASSIGN_OR_RETURN(in->plan, exporter::PlanExport(in->local.env, in->ws, in->pipeline, args.no_cache));
  return in;
}

// The folder a file is written into must exist: exit 2 otherwise, before any work.
Status CheckParentFolder(const std::string& path) {
  std::error_code ec;
  const fs::path parent = fs::absolute(path, ec).parent_path();
  if (!fs::is_directory(parent, ec)) {
    return InvalidArgumentError(
        fmt::format("cannot write {}: its folder {} does not exist", path, parent.string()));
  }
  return OkStatus();
}

Status CmdExportArgo(const ExportArgs& args) {
  RETURN_IF_ERROR(exporter::CheckArgoOptions(args.argo));
  if (!args.out.empty()) RETURN_IF_ERROR(CheckParentFolder(args.out));
  ASSIGN_OR_RETURN(auto in, LoadAndPlan(args));
  ASSIGN_OR_RETURN(nlohmann::json workflow, exporter::ArgoWorkflow(in->pipeline, in->plan, args.argo));
  const std::string text = args.format == "json" ? workflow.dump(2) + "\n" : exporter::YamlText(workflow);
  if (args.out.empty()) {
    std::cout << text;
  } else {
    std::ofstream f(args.out, std::ios::trunc);
    f << text;
    f.close();
    if (!f) return InternalError(fmt::format("cannot write {}", args.out));
  }
  std::cerr << fmt::format("mlpipe: {} of {} steps run in the Workflow, {} cached\n", in->plan.runs(),
                           in->plan.steps.size(), in->plan.steps.size() - in->plan.runs());
  // What it reads at content-addressed keys goes to the bucket now, if the
  // workspace's S3 store is where the Workflow reads.
  ASSIGN_OR_RETURN(spec::WorkspaceConfig config, LoadSettings(in->ws));
  SharedObjects* shared = in->local.shared.get();
  ASSIGN_OR_RETURN(ExportReadsSent sent, SendExportReads(in->plan, args.argo, config, *in->local.objects,
                                                         shared != nullptr ? shared->remote.get() : nullptr,
                                                         shared != nullptr ? shared->client.get() : nullptr));
  if (!sent.not_sent.empty()) {
    std::cerr << fmt::format(
        "mlpipe: nothing sent to S3: {}; the objects the Workflow reads (annotation mlpipe.dev/reads) must "
        "be put "
        "at their keys before it is submitted\n",
        sent.not_sent);
  } else {
    std::cerr << fmt::format("mlpipe: sent to {}: {} file{}, {} folder{} ({} files); the rest was there\n",
                             sent.where, sent.files, sent.files == 1 ? "" : "s", sent.folders,
                             sent.folders == 1 ? "" : "s", sent.folder_files);
  }
  return OkStatus();
}

Status CmdExportSlurm(const ExportArgs& args) {
  std::error_code ec;
  const std::string dir = fs::absolute(args.out, ec).lexically_normal().string();
  RETURN_IF_ERROR(CheckParentFolder(dir));
  ASSIGN_OR_RETURN(auto in, LoadAndPlan(args));
  exporter::SlurmExportOptions options;
  options.dir = dir;
  while (options.dir.size() > 1 && options.dir.back() == '/') options.dir.pop_back();
  options.mlpipe = SelfExecutable();
  ExportInput* input = in.get();
  options.object_path = [input](const exporter::StoredRef& object) -> StatusOr<std::string> {
    if (object.is_dir) return input->local.objects->Materialize(object.ref);
    ASSIGN_OR_RETURN(std::string hex, store::RefToHex(object.ref));
    return input->ws.BlobPath(hex);
  };
  ASSIGN_OR_RETURN(auto files, exporter::SlurmScripts(in->pipeline, in->plan, options));
  RETURN_IF_ERROR(exporter::WriteTree(options.dir, in->plan, files));
  std::cout << fmt::format("{}: {} of {} steps to run, {} cached; submit with {}/submit.sh\n", options.dir,
                           in->plan.runs(), in->plan.steps.size(), in->plan.steps.size() - in->plan.runs(),
                           options.dir);
  return OkStatus();
}

void AddExportSpecArgs(CLI::App* cmd, ExportArgs* args) {
  cmd->add_option("pipeline", args->spec.pipeline, "Pipeline YAML file")->required();
  cmd->add_option("-p,--param", args->spec.params, "Override a param: NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--no-cache", args->no_cache, "Export every step, even those with a cached result");
}

}  // namespace

void AddExportCommands(CLI::App& app, Action* action) {
  auto* cmd = app.add_subcommand("export", "Hand a pipeline to another scheduler: argo (Kubernetes), slurm");
  cmd->require_subcommand(1);

  static ExportArgs argo;
  argo.argo.image = fmt::format("mlpipe:{}", MLPIPE_VERSION);
  auto* a = cmd->add_subcommand(
      "argo", "Write an Argo Workflow of the steps that must run (cached ones are read from S3)");
  AddExportSpecArgs(a, &argo);
  a->add_option("-o,--output", argo.out, "Write the Workflow to FILE (default: stdout)");
  a->add_option("--format", argo.format, "yaml or json (default yaml)")
      ->check(CLI::IsMember({"yaml", "json"}));
  a->add_option(
      "--image", argo.argo.image,
      "Container image of the steps, with mlpipe and the pipeline's folder (default mlpipe:VERSION)");
  a->add_option("--project-dir", argo.argo.project_dir,
                "The pipeline's folder inside the image (default /mlpipe/project)");
  a->add_option(
      "--s3-endpoint", argo.argo.s3_endpoint,
      "S3 endpoint of the artifacts, http(s)://HOST:PORT (default: the namespace's artifact repository)");
  a->add_option("--s3-bucket", argo.argo.s3_bucket, "Bucket of the artifacts (with --s3-endpoint)");
  a->add_option(
      "--s3-secret", argo.argo.s3_secret,
      "Kubernetes Secret with keys accessKey and secretKey (with --s3-endpoint; default mlpipe-s3)");
  a->add_option("--s3-region", argo.argo.s3_region, "Region of the bucket (with --s3-endpoint)");
  a->add_option(
      "--artifact-repository", argo.argo.artifact_repository,
      "Without --s3-endpoint: the artifact repository (a key of the namespace's artifact-repositories "
      "config map; default: its default)");
  a->add_option("--s3-prefix", argo.argo.prefix,
                "Key prefix of mlpipe's objects and the runs' outputs (default mlpipe)");
  a->callback([action] { *action = [] { return CmdExportArgo(argo); }; });

  static ExportArgs slurm;
  auto* s = cmd->add_subcommand(
      "slurm", "Write batch scripts of the steps that must run, and a submit.sh, for sbatch-only sites");
  AddExportSpecArgs(s, &slurm);
  s->add_option("-o,--output", slurm.out, "The folder to write (new, empty, or an earlier export)")
      ->required();
  s->callback([action] { *action = [] { return CmdExportSlurm(slurm); }; });
}

}  // namespace mlpipe::cli
