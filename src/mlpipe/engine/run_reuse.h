// The nothing-changed fast path of `mlpipe run`: if the invocation has a run
// stamp (run_stamp.h) whose files all still have their digests (re-hashed
// only when their stat changed, store/hash_cache.h) and whose outputs are all
// still in the object store, the run is recorded as reusing the stamped run
// whole: one row (MetadataStore::CreateReusedRun), its cached executions
// written out by the next command that opens the store. It prints what a
// full run where every step is cached prints, with the same reasons. The
// spec is not parsed, no cache key is derived, and no step is looked up.
//
// Anything else (no stamp, a changed file, a missing output, a stamp that
// cannot be read) returns nullopt and the caller runs the pipeline normally,
// which gives each step's reason.
#pragma once

#include <optional>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/pipeline_run.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::engine {

// `options.invocation` names the command (InvocationKey). Errors are for a
// workspace that cannot be opened or written.
StatusOr<std::optional<RunReport>> TryReuseRun(const store::Workspace& ws, const RunOptions& options);

}  // namespace mlpipe::engine
