#include "mlpipe/engine/model_inputs.h"

#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/metadata/model_names.h"

namespace mlpipe::engine {

StatusOr<ModelInput> ResolveModelInput(metadata::MetadataStore& db, store::ObjectStore& objects,
                                       const spec::InputBinding& binding) {
  const std::string context = fmt::format("input {} ({})", binding.name, binding.value);
  auto parsed = metadata::ParseModelRef(binding.model_ref());
  if (!parsed.ok()) return parsed.status().WithContext(context);
  auto model = db.GetRegisteredModel(parsed->name);
  if (!model.ok() && model.status().code() == StatusCode::kNotFound) {
    // Say which models there are.
    ASSIGN_OR_RETURN(std::vector<metadata::RegisteredModel> models, db.ListRegisteredModels());
    std::vector<std::string> names;
    for (const auto& m : models) names.push_back(m.name);
    return NotFoundError(fmt::format("{}: {}; {}", context, model.status().message(),
                                     names.empty() ? "no model is registered yet (mlpipe models register)"
                                                   : "registered models: " + Join(names, ", ")));
  }
  RETURN_IF_ERROR(model.status().WithContext(context));
  // An unknown alias or version: the registry's message lists those there are.
  auto resolved = db.ResolveModel(binding.model_ref());
  if (!resolved.ok()) return resolved.status().WithContext(context);
  const metadata::ModelVersion& mv = *resolved;
  if (!objects.Contains(mv.ref)) {
    return NotFoundError(
        fmt::format("{}: {}'s package ({}) is no longer in the object store", context, mv.Label(), mv.ref));
  }
  ModelInput in;
  in.version = ArtifactVersion{mv.ref, mv.name, mv.version, 0, true};
  in.fingerprint = InputFingerprint{mv.ref, binding.value, fmt::format("v{}", mv.version), "model"};
  return in;
}

bool ReadsRegisteredModels(const spec::PipelineSpec& spec) {
  for (const spec::StepSpec& step : spec.steps) {
    for (const spec::InputBinding& in : step.inputs) {
      if (in.kind == spec::InputBinding::Kind::kModel) return true;
    }
  }
  return false;
}

}  // namespace mlpipe::engine
