// LocalEnv: the engine::Env of a run on this machine (engine/env.h): the
// workspace's SQLite metadata store, its object store and hash cache, the
// real clock and file system, and local processes as the runner. Owns what
// it opened; `env` points into it.
#pragma once

#include <memory>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/env.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::cli {

struct LocalEnv {
  std::unique_ptr<metadata::MetadataStore> db;
  std::unique_ptr<store::ObjectStore> objects;
  std::unique_ptr<store::HashCache> hashes;
  engine::Env env;
};

StatusOr<LocalEnv> OpenLocalEnv(const store::Workspace& ws);

}  // namespace mlpipe::cli
