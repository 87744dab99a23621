// RunNodeStep: the node's half of a staged step (node_step.h), what
// `mlpipe step-exec` does on a Slurm node. The step's tree is rebuilt under
// the request's job folder: each object it reads is taken from the node's
// own store (fetched from the S3 store behind it when the node lacks it, so
// a cached input is never downloaded twice on a node) and linked at the path
// the step reads; the files written for it are written out; its working
// folder and the folders of what it writes are made. The command runs under
// `runner` (a LocalRunner: its exit status, CPU time and peak RSS), and
// what it wrote (outputs, metrics file, logs) is stored in the node's store,
// which sends it to the S3 store. The job folder is removed at the end.
#pragma once

#include "mlpipe/engine/node_step.h"
#include "mlpipe/exec/command_runner.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {

// The result to send back. An error before the command ran (an input the
// store lacks, a folder that cannot be made) is the status; a failure to
// store what it wrote is the result's error (the step failed, its logs may
// still have been stored).
StatusOr<NodeStepResult> RunNodeStep(const NodeStepRequest& request, store::ObjectStore& objects,
                                     exec::CommandRunner& runner);

}  // namespace mlpipe::engine
