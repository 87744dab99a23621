// LocalEnv: the engine::Env of a run started here (engine/env.h): the
// workspace's SQLite metadata store, its object store and hash cache, the
// real clock and file system, and the executor's runner: local processes
// (LocalRunner) or Slurm batch jobs (SlurmRunner). Owns what it opened;
// `env` points into it.
#pragma once

#include <memory>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/cli/shared_objects.h"
#include "mlpipe/engine/env.h"
#include "mlpipe/exec/slurm_client.h"
#include "mlpipe/spec/workspace_config.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::cli {

// Where a run's steps run.
struct ExecutorChoice {
  std::string executor = "local";  // "local" or "slurm"
  std::string partition;           // slurm: "" = the cluster's default
  std::string account;             // slurm: "" = the user's default
  int group = 1;                   // slurm: steps started together, at most this many a job
  // slurm: "node" when the nodes get the steps' files through the S3 store
  // (engine/node_staging.h), else "shared".
  std::string staging = "shared";
  std::string node_dir;     // node staging: the folder on each node
  std::string node_mlpipe;  // node staging: the mlpipe on each node ("" = this one's path)
};

// The flags' values, or else the workspace's settings (`config`: the
// environment's MLPIPE_EXECUTOR, MLPIPE_SLURM_PARTITION, MLPIPE_SLURM_ACCOUNT
// and MLPIPE_SLURM_GROUP over .mlpipe/config.yaml). For slurm, checks before
// anything runs that Slurm answers and the partition exists, and that node
// staging has an S3 store to stage through: InvalidArgument (exit 2) naming
// what and where otherwise.
StatusOr<ExecutorChoice> ChooseExecutor(const std::string& executor, const std::string& partition,
                                        const std::string& account, int group,
                                        const spec::WorkspaceConfig& config);

struct LocalEnv {
  std::unique_ptr<metadata::MetadataStore> db;
  std::unique_ptr<store::ObjectStore> objects;
  std::unique_ptr<SharedObjects> shared;  // objects' S3 store, if the settings name one
  std::unique_ptr<store::HashCache> hashes;
  std::unique_ptr<exec::SlurmClient> slurm;  // with the slurm executor
  engine::Env env;
};

// The Env of a run in `ws`: its metadata where `config` says (the
// workspace's SQLite file by default), the executor's runner.
StatusOr<LocalEnv> OpenLocalEnv(const store::Workspace& ws, const ExecutorChoice& executor,
                                const spec::WorkspaceConfig& config);
// The same with the workspace's own settings and the local executor.
StatusOr<LocalEnv> OpenLocalEnv(const store::Workspace& ws);

}  // namespace mlpipe::cli
