// Turns a validated PipelineSpec into the executor's JobGraph: one job per
// step (same index), dependencies from STEP.OUTPUT inputs and `after:`,
// slots from resources.cpus, attempts from retries, backoff and timeout.
#pragma once

#include "mlpipe/exec/job_graph.h"
#include "mlpipe/spec/pipeline.h"

namespace mlpipe::engine {

// The spec must be valid (every referenced step exists, no cycles).
exec::JobGraph BuildJobGraph(const spec::PipelineSpec& spec);

// Index of every step by name.
std::unordered_map<std::string, int> StepIndex(const spec::PipelineSpec& spec);

}  // namespace mlpipe::engine
