// A self-contained tree of batch scripts for sites that allow only sbatch
// (`mlpipe export slurm PIPELINE -o DIR`): nothing of mlpipe is needed on the
// nodes for command steps (built-in steps run the mlpipe that exported them,
// by its absolute path).
//
//   DIR/submit.sh              submits the steps in dependency order, each
//                              with --dependency=afterok:<ids of its
//                              upstream jobs> (sbatch --parsable); a step
//                              whose done marker exists is not submitted
//                              again; appends "STEP JOBID" to DIR/jobs.txt
//   DIR/steps/STEP.sbatch      one per step that runs: #SBATCH lines from
//                              exec::SbatchArgs (job name, log paths, cpus,
//                              memory, time), the step's command line as
//                              `mlpipe run` runs it, its retries, and
//                              DIR/done/STEP written only on success
//   DIR/outputs/STEP/OUTPUT    what the steps write
//   DIR/work/STEP/             each step's working folder
//   DIR/logs/STEP.out, .err    stdout and stderr of its job
//   DIR/invocations/STEP.json  a built-in step's invocation
//   DIR/README.txt             the above, for people
// Every path in the scripts is absolute: DIR must be on a filesystem the
// nodes see at the same path (as for `mlpipe run --executor slurm`).
// Inputs are read where they are: a source at its path in the project, a
// cached step's output in the workspace's object store, whose objects are
// read-only and content-addressed, so nothing changes under a job (a gc of
// the workspace may remove them: README.txt says so).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/export/export_plan.h"

namespace mlpipe::exporter {

struct SlurmExportOptions {
  std::string dir;     // the tree's folder, absolute
  std::string mlpipe;  // the mlpipe built-in steps run, absolute
  // Where a stored object can be read (a file's blob, a folder's tree).
  std::function<StatusOr<std::string>(const StoredRef&)> object_path;
};

struct TreeFile {
  std::string path;  // relative to the tree's folder
  std::string text;
  bool executable = false;
};

// The files of the tree, in a fixed order. FailedPrecondition when no step
// runs; the errors of BuildStepScript and object_path.
StatusOr<std::vector<TreeFile>> SlurmScripts(const engine::LoadedPipeline& pipeline, const ExportPlan& plan,
                                             const SlurmExportOptions& options);

// Writes `files` under `dir` and makes the folders the jobs write into
// (outputs/STEP, work/STEP, logs, done). `dir` may exist only as an earlier
// export (it has a submit.sh) or empty: InvalidArgument otherwise, or when
// its parent folder does not exist.
Status WriteTree(const std::string& dir, const ExportPlan& plan, const std::vector<TreeFile>& files);

}  // namespace mlpipe::exporter
