// Triggers that would start a pipeline in a loop across pipeline files: a
// pipeline registers model M (its register: block), another pipeline has an
// on_model trigger on M (any alias, also inside all:/any:), and so on back to
// the first. `mlpipe validate` and `mlpipe server` check the pipelines they
// are given together. (A pipeline watching a model it registers itself is
// reported by the loader, on its own file.)
#pragma once

#include <vector>

#include "mlpipe/spec/pipeline.h"

namespace mlpipe::spec {

// One diagnostic per loop (at most 20), at the on_model trigger through which
// the loop returns to its first pipeline (the earliest of `pipelines` in it),
// naming the whole chain: "trigger on_model#1 of pipeline 'lending_club'
// starts it in a loop: lending_club registers features -> scoring on_model
// features -> scoring registers scores -> lending_club on_model scores".
// Empty when there is none. Pure function; pointers must not be null.
std::vector<Diagnostic> CheckTriggerLoops(const std::vector<const PipelineSpec*>& pipelines);

}  // namespace mlpipe::spec
