#include "mlpipe/cli/local_env.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "mlpipe/base/self_exe.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/engine/node_staging.h"
#include "mlpipe/exec/local_runner.h"
#include "mlpipe/exec/slurm_runner.h"

namespace mlpipe::cli {
StatusOr<ExecutorChoice> ChooseExecutor(const std::string& executor, const std::string& partition,
                                        const std::string& account, int group,
                                        const spec::WorkspaceConfig& config) {
  ExecutorChoice choice;
  const std::string where =
      config.file.empty() ? "MLPIPE_EXECUTOR" : fmt::format("MLPIPE_EXECUTOR or {}", config.file);
  choice.executor = !executor.empty() ? executor : config.executor;
  if (choice.executor.empty()) choice.executor = "local";
  if (choice.executor != "local" && choice.executor != "slurm") {
    return InvalidArgumentError(
        fmt::format("unknown executor '{}' (from {}); use local or slurm", choice.executor, where));
  }
  if (choice.executor == "local") {
    if (!partition.empty() || !account.empty() || group > 0) {
      return InvalidArgumentError("--partition, --account and --slurm-group are for --executor slurm");
    }
    return choice;
  }
  choice.partition = !partition.empty() ? partition : config.slurm.partition;
  choice.account = !account.empty() ? account : config.slurm.account;
  choice.group = group > 0 ? group : (config.slurm.group > 0 ? config.slurm.group : 1);
  if (config.slurm.staging == "node") {
    if (config.s3.endpoint.empty()) {
      return InvalidArgumentError(fmt::format(
          "slurm.staging: node (from MLPIPE_SLURM_STAGING or {}) sends the steps' files through the S3 store, "
          "and none is set; hint: set objects.s3 (or MLPIPE_S3_ENDPOINT and MLPIPE_S3_BUCKET), or use "
          "staging: shared when every node sees the workspace",
          config.file.empty() ? ".mlpipe/config.yaml" : config.file));
    }
    choice.staging = "node";
    choice.node_dir = config.slurm.node_dir.empty() ? "/tmp/mlpipe-node" : config.slurm.node_dir;
    choice.node_mlpipe = config.slurm.node_mlpipe;
    // A group's members report their ends in a file of the run folder,
    // which the nodes do not see.
    choice.group = 1;
  }
  auto partitions = exec::SlurmPartitions();
  if (!partitions.ok()) {
    return InvalidArgumentError(
        fmt::format("--executor slurm: {}; hint: is slurmctld running and sinfo on PATH?",
                    partitions.status().message()));
  }
  if (!choice.partition.empty() &&
      std::find(partitions->begin(), partitions->end(), choice.partition) == partitions->end()) {
    return InvalidArgumentError(
        fmt::format("--executor slurm: partition '{}' does not exist in this cluster "
                    "(its partitions: {})",
                    choice.partition, fmt::join(*partitions, ", ")));
  }
  return choice;
}

StatusOr<LocalEnv> OpenLocalEnv(const store::Workspace& ws) {
  ASSIGN_OR_RETURN(spec::WorkspaceConfig config, LoadSettings(ws));
  return OpenLocalEnv(ws, ExecutorChoice{}, config);
}

StatusOr<LocalEnv> OpenLocalEnv(const store::Workspace& ws, const ExecutorChoice& executor,
                                const spec::WorkspaceConfig& config) {
  LocalEnv local;
  ASSIGN_OR_RETURN(local.db, OpenMetadata(ws, config));
  ASSIGN_OR_RETURN(local.objects, store::ObjectStore::Open(ws));
  ASSIGN_OR_RETURN(local.shared, AttachSharedObjects(config, *local.objects));
  ASSIGN_OR_RETURN(local.hashes, store::HashCache::Open(ws.HashCachePath()));
  engine::Env& env = local.env;
  env.clock = &RealClock();
  env.fs = &store::PosixFileSystem();
  env.db = local.db.get();
  env.objects = local.objects.get();
  env.hashes = local.hashes.get();
  if (executor.executor == "slurm") {
    local.slurm = std::make_unique<exec::RealSlurmClient>();
    exec::SlurmClient* client = local.slurm.get();
    exec::SlurmRunnerOptions options;
    options.partition = executor.partition;
    options.account = executor.account;
    options.group_max = executor.group;
    std::optional<engine::NodeStagingOptions> staging;
    if (executor.staging == "node") {
      if (local.shared == nullptr) return InvalidArgumentError("slurm.staging: node needs an S3 store");
      staging.emplace();
      staging->node_dir = executor.node_dir;
      staging->node_mlpipe = executor.node_mlpipe;
      staging->self_exe = SelfExecutable();
      const spec::S3Settings& s3 = config.s3;
      staging->store_args = {"--s3-endpoint", s3.endpoint, "--s3-bucket", s3.bucket, "--s3-region", s3.region};
      if (!s3.prefix.empty()) staging->store_args.insert(staging->store_args.end(), {"--s3-prefix", s3.prefix});
    }
    store::ObjectStore* objects = local.objects.get();
    SharedObjects* shared = local.shared.get();
    env.make_runner = [client, options, staging, objects,
                       shared](const engine::RunnerHooks& hooks) -> std::unique_ptr<exec::CommandRunner> {
      exec::SlurmRunnerOptions with_record = options;
      with_record.jobs_record = hooks.jobs_record;
      with_record.scratch_dir = hooks.scratch_dir;
      if (!hooks.pipeline.empty()) with_record.job_name_prefix = fmt::format("mlpipe-{}", hooks.pipeline);
      auto runner = std::make_unique<exec::SlurmRunner>(*client, with_record);
      const size_t ended = runner->left_behind().size();
      if (ended > 0 && hooks.note) {
        hooks.note(fmt::format("cancelled {} Slurm job{} that a killed run of this pipeline left (ids {})",
                               ended, ended == 1 ? "" : "s", fmt::join(runner->left_behind(), ", ")));
      }
      if (staging) {
        return std::make_unique<engine::NodeStagingRunner>(std::move(runner), *objects, *shared->remote,
                                                           *shared->client, *staging);
      }
      return runner;
    };
    return local;
  }
  env.make_runner = [](const engine::RunnerHooks& hooks) -> std::unique_ptr<exec::CommandRunner> {
    exec::LocalRunnerOptions options;
    options.clock = &RealClock();
    options.on_started = hooks.on_started;
    return std::make_unique<exec::LocalRunner>(options);
  };
  return local;
}

}  // namespace mlpipe::cli
