// Inside the record routes: finding a run's step by name.
#pragma once

#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"

namespace mlpipe::server {

// The execution of step `step` in run `run_id` (the last one if a run has
// several). NotFound naming the run or the step, with the closest step name.
StatusOr<metadata::Execution> FindStep(metadata::MetadataStore& db, int64_t run_id, const std::string& step);

}  // namespace mlpipe::server
