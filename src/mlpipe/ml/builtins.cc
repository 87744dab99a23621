#include "mlpipe/ml/builtins.h"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/ml/components/common.h"

namespace mlpipe::ml {
namespace {

struct Builtin {
  const char* name;
  const char* const* yaml;
  Status (*run)(const BuiltinInvocation&);
};

const Builtin kBuiltins[] = {
    {"evaluate", &components::kEvaluateYaml, &components::RunEvaluate},
    {"notebook", &components::kNotebookYaml, &components::RunNotebook},
    {"predict", &components::kPredictYaml, &components::RunPredict},
    {"schema", &components::kSchemaYaml, &components::RunSchema},
    {"split", &components::kSplitYaml, &components::RunSplit},
    {"stats", &components::kStatsYaml, &components::RunStats},
    {"train", &components::kTrainYaml, &components::RunTrain},
    {"transform", &components::kTransformYaml, &components::RunTransform},
    {"validate", &components::kValidateYaml, &components::RunValidate},
};

const Builtin* Find(const std::string& name) {
  for (const Builtin& b : kBuiltins) {
    if (name == b.name) return &b;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> BuiltinNames() {
  std::vector<std::string> names;
  for (const Builtin& b : kBuiltins) names.emplace_back(b.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::string> BuiltinComponentYaml(const std::string& name) {
  const Builtin* b = Find(name);
  if (!b) return std::nullopt;
  return std::string(*b->yaml);
}

Status RunBuiltin(const BuiltinInvocation& inv) {
  const Builtin* b = Find(inv.name);
  if (!b) {
    std::string hint = ClosestMatch(inv.name, BuiltinNames());
    return NotFoundError(fmt::format("no built-in component '{}'{}; built-ins are: {}", inv.name,
                                     hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                                     Join(BuiltinNames(), ", ")));
  }
  try {
    Status s = b->run(inv);
    if (!s.ok()) return s.WithContext(fmt::format("built-in {}", inv.name));
    return s;
  } catch (const std::exception& e) {  // nothing may escape the library
    return InternalError(fmt::format("built-in {}: unexpected error: {}", inv.name, e.what()));
  }
}

}  // namespace mlpipe::ml
