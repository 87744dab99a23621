// Step inputs bound to a registered model ("baseline: churn@champion",
// "churn:v3"; spec::InputBinding::Kind::kModel): resolved at run time to the
// version's model package artifact, so that a new model can be evaluated
// against the one in production. The digest is part of the step's cache key
// (moving the alias re-runs the step, and --explain says
// "input baseline: churn@champion moved v2 -> v3"), and the execution's input
// event names the version ("churn:v3"), so lineage shows what was read.
#pragma once

#include "mlpipe/base/status.h"
#include "mlpipe/engine/cache_key.h"
#include "mlpipe/engine/run_recorder.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/spec/pipeline.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {

struct ModelInput {
  ArtifactVersion version;       // ref, name = the model name, version = N (recorded as "NAME:vN")
  InputFingerprint fingerprint;  // ref, from = the reference as written, version "vN", kind "model"
};

// Resolves `binding` (a kModel input) in the registry. NotFound naming the
// model and listing its aliases or versions for an unknown model, alias or
// version, or when the version's package is no longer in the object store;
// errors carry "input NAME (REF)" in front.
StatusOr<ModelInput> ResolveModelInput(metadata::MetadataStore& db, store::ObjectStore& objects,
                                       const spec::InputBinding& binding);

// True if a step of `spec` reads a registered model (its result depends on
// the registry, not only on files: such a run is never stamped for reuse).
bool ReadsRegisteredModels(const spec::PipelineSpec& spec);

}  // namespace mlpipe::engine
