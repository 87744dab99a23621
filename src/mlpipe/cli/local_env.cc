#include "mlpipe/cli/local_env.h"

#include "mlpipe/exec/local_runner.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::cli {

StatusOr<LocalEnv> OpenLocalEnv(const store::Workspace& ws) {
  LocalEnv local;
  ASSIGN_OR_RETURN(local.db, metadata::SqliteStore::Open(ws.MetadataDbPath()));
  ASSIGN_OR_RETURN(local.objects, store::ObjectStore::Open(ws));
  ASSIGN_OR_RETURN(local.hashes, store::HashCache::Open(ws.HashCachePath()));
  engine::Env& env = local.env;
  env.clock = &RealClock();
  env.fs = &store::PosixFileSystem();
  env.db = local.db.get();
  env.objects = local.objects.get();
  env.hashes = local.hashes.get();
  env.make_runner = [](const engine::RunnerHooks& hooks) -> std::unique_ptr<exec::CommandRunner> {
    exec::LocalRunnerOptions options;
    options.clock = &RealClock();
    options.on_started = hooks.on_started;
    return std::make_unique<exec::LocalRunner>(options);
  };
  return local;
}

}  // namespace mlpipe::cli
