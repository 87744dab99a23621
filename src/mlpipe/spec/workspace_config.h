// WorkspaceConfig: a workspace's own settings, read from `.mlpipe/config.yaml`
// (docs/cluster.md): where its steps run (the executor and its Slurm
// partition, account and grouping), where its metadata lives (the
// workspace's SQLite file, or a shared PostgreSQL database) and where its
// artifacts are shared (an S3-compatible bucket). Pipeline files never say
// any of this, so the same pipeline runs unchanged on a laptop and on a
// cluster.
//
// Precedence: a command's flags, then the environment (MLPIPE_EXECUTOR,
// MLPIPE_SLURM_PARTITION, MLPIPE_SLURM_ACCOUNT, MLPIPE_SLURM_GROUP,
// MLPIPE_SLURM_STAGING, MLPIPE_SLURM_NODE_DIR, MLPIPE_SLURM_NODE_MLPIPE,
// MLPIPE_METADATA, MLPIPE_S3_ENDPOINT, MLPIPE_S3_BUCKET, MLPIPE_S3_PREFIX,
// MLPIPE_S3_REGION), then this file, then the defaults. Secrets are never
// in the file: PostgreSQL takes its password from the URL's environment
// (PGPASSWORD, ~/.pgpass) or the URL itself, S3 its keys from
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "mlpipe/base/status.h"

namespace mlpipe::spec {

struct SlurmSettings {
  std::string partition;  // "" = the cluster's default
  std::string account;    // "" = the user's default
  int group = 0;          // steps started together, at most this many a job; 0 = not set (1)
  // Where a step's files are: "shared" (the run folder is on a filesystem
  // every node sees: the default) or "node" (each job gets its inputs from
  // the S3 store into a cache on its node and sends its outputs back
  // through it: engine/node_staging.h). "" = not set (shared).
  std::string staging;
  std::string node_dir;     // node staging: the folder on each node ("" = /tmp/mlpipe-node)
  std::string node_mlpipe;  // node staging: the mlpipe on each node ("" = the submitter's path)
};

struct S3Settings {
  std::string endpoint;  // "http://host:port" or "https://..."; "" = no S3 store
  std::string bucket;
  std::string prefix;  // keys start with it ("" = the bucket's root); no leading or trailing '/'
  std::string region = "us-east-1";
};

struct WorkspaceConfig {
  std::string file;      // the file read; "" when there was none
  std::string executor;  // "local", "slurm"; "" = not set (local)
  SlurmSettings slurm;
  // "" = the workspace's own SQLite file; else a postgresql:// URL (or a
  // SQLite file path).
  std::string metadata;
  S3Settings s3;
};

// Reads `text` (the content of `file`, named in errors). InvalidArgument
// listing every problem as "file:line:column: error: what\n  hint: how".
StatusOr<WorkspaceConfig> ParseWorkspaceConfig(std::string_view text, const std::string& file);

// Reads `path`; an absent file is an empty config (its `file` stays "").
StatusOr<WorkspaceConfig> LoadWorkspaceConfig(const std::string& path);

// Lets the environment (`getenv`, std::getenv by default) override the file:
// the MLPIPE_* variables above. InvalidArgument for a malformed value, naming
// the variable.
Status ApplyEnvironment(WorkspaceConfig& config,
                        const std::function<const char*(const char*)>& getenv = nullptr);

}  // namespace mlpipe::spec
