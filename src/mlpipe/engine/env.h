// Env: everything a pipeline run works with that has a side effect, built by
// the caller and handed in: the command runner, the clock, the metadata store,
// the object store, the hash cache and the file system. The engine constructs
// none of them, so a run can be driven by a fake runner on a fake clock over an
// in-memory store (pipeline_run_test.cc), and later by a Slurm runner, a
// PostgreSQL store or an S3 object store, without the engine changing.
// `mlpipe run` builds the local one (cli/local_env.h).
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "mlpipe/base/clock.h"
#include "mlpipe/exec/command_runner.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/store/file_system.h"
#include "mlpipe/store/hash_cache.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {

// What a run asks of the runner it gets.
struct RunnerHooks {
  // Called with the process group of each local process a runner starts, so
  // that the run can record it: what survives a kill -9 of the run is then
  // ended by the next one (step_processes.h). Runners without local
  // processes do not call it.
  std::function<void(pid_t)> on_started;
  // Where a runner whose jobs outlive a kill -9 of this process (a
  // scheduler's batch jobs) records them while the run holds its pipeline's
  // lock; the next run's runner ends what it lists before it submits.
  std::string jobs_record;
  // The pipeline, for names a runner gives what it starts (Slurm job names).
  std::string pipeline;
  // A folder of the run's own (in the run folder) for the runner's files.
  std::string scratch_dir;
  // A line for people on the run's stderr ("ended 2 Slurm jobs that a killed
  // run left queued").
  std::function<void(const std::string&)> note;
};

// Makes the runner of one run. The runner must read time from Env::clock.
using RunnerFactory = std::function<std::unique_ptr<exec::CommandRunner>(const RunnerHooks&)>;

// Not owned: everything must outlive the runs it is used for. All required,
// except `make_runner` for what only plans (PlanPipeline).
struct Env {
  Clock* clock = nullptr;
  store::FileSystem* fs = nullptr;
  metadata::MetadataStore* db = nullptr;
  store::ObjectStore* objects = nullptr;
  store::HashCache* hashes = nullptr;
  RunnerFactory make_runner;
};

}  // namespace mlpipe::engine
