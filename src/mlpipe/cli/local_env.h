// LocalEnv: the engine::Env of a run started here (engine/env.h): the
// workspace's SQLite metadata store, its object store and hash cache, the
// real clock and file system, and the executor's runner: local processes
// (LocalRunner) or Slurm batch jobs (SlurmRunner). Owns what it opened;
// `env` points into it.
#pragma once

#include <memory>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/env.h"
#include "mlpipe/exec/slurm_client.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::cli {

// Where a run's steps run.
struct ExecutorChoice {
  std::string executor = "local";  // "local" or "slurm"
  std::string partition;           // slurm: "" = the cluster's default
  std::string account;             // slurm: "" = the user's default
  int group = 1;                   // slurm: steps started together, at most this many a job
};

// The flags' values, or else MLPIPE_EXECUTOR, MLPIPE_SLURM_PARTITION and
// MLPIPE_SLURM_ACCOUNT. For slurm, checks before anything runs that Slurm
// answers and the partition exists: InvalidArgument (exit 2) naming what and
// where otherwise.
StatusOr<ExecutorChoice> ChooseExecutor(const std::string& executor, const std::string& partition,
                                        const std::string& account, int group = 0);

struct LocalEnv {
  std::unique_ptr<metadata::MetadataStore> db;
  std::unique_ptr<store::ObjectStore> objects;
  std::unique_ptr<store::HashCache> hashes;
  std::unique_ptr<exec::SlurmClient> slurm;  // with the slurm executor
  engine::Env env;
};

StatusOr<LocalEnv> OpenLocalEnv(const store::Workspace& ws, const ExecutorChoice& executor = {});

}  // namespace mlpipe::cli
