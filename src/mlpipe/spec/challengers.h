// Challengers across pipeline files: a pipeline with `challenger_of: OTHER`
// competes for OTHER's deployment (docs/pipeline-spec.md#challengers). What one
// file cannot tell is checked here, over the pipelines given together:
// `mlpipe server` (its --pipelines) and `mlpipe validate A.yaml B.yaml`.
#pragma once

#include <vector>

#include "mlpipe/spec/pipeline.h"

namespace mlpipe::spec {

// One diagnostic per problem, at the challenger's challenger_of: (or its
// deploy:):
// - OTHER is not among `pipelines` (only when `complete`: a server runs every
//   pipeline there is; validate may be given the challenger alone);
// - OTHER has no deploy: block, or deploys to another deployment, or another
//   model (the rollout's two arms are versions of one registered model);
// - challenger_of forms a cycle (a challenger of b challenger of a), reported
//   once, at its first pipeline in `pipelines`.
// Pure function; pointers must not be null.
std::vector<Diagnostic> CheckChallengers(const std::vector<const PipelineSpec*>& pipelines, bool complete);

}  // namespace mlpipe::spec
