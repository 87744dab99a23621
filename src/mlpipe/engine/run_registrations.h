// A pipeline's register: block, carried out after a successful run: each
// entry's model output of this run becomes a version of a registered model
// (docs/pipeline-spec.md#register, docs/model-registry.md).
#pragma once

#include <cstdint>
#include <iosfwd>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/engine/register_gate.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/spec/pipeline.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {

// For each entry of spec.registers, in order: skips it (printing and
// recording why) when its `when` blessing of this run is not
// {"blessed": true} or its model output was not written; otherwise
// registers this run's `from` output (engine::RegisterModel, keeping aliases
// moved since, reason "registered by run N"). Each entry is recorded in run
// `run_id` as an execution named "register:MODEL" (succeeded, skipped or
// failed, with the reason, reading the model and blessing artifacts), in the
// registration's transaction. Prints one line per entry to `out` ("registered
// lending-club v3 (alias candidate)"), or with `json` one event
// ("registered" / "register_skipped"). An error (not a model package, the
// store fails) stops at that entry and is returned with "register MODEL: "
// in front; the caller fails the run.
// A `gate` (may be null) decides each entry it cares about before it is
// registered (register_gate.h).
Status RegisterRunModels(metadata::MetadataStore& db, store::ObjectStore& objects,
                         const spec::PipelineSpec& spec, int64_t run_id, std::ostream& out, bool json,
                         RegisterGate* gate, Clock& clock);

}  // namespace mlpipe::engine
