#include "mlpipe/ml/builtins.h"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/components/param_check.h"

namespace mlpipe::ml {
namespace {

struct Builtin {
  const char* name;
  const char* const* yaml;
  Status (*run)(const BuiltinInvocation&);
  void (*check)(components::ParamCheck&);  // rules on its params; null: none
};

const Builtin kBuiltins[] = {
    {"evaluate", &components::kEvaluateYaml, &components::RunEvaluate, &components::CheckEvaluateParams},
    {"notebook", &components::kNotebookYaml, &components::RunNotebook, nullptr},
    {"predict", &components::kPredictYaml, &components::RunPredict, &components::CheckPredictParams},
    {"schema", &components::kSchemaYaml, &components::RunSchema, &components::CheckSchemaParams},
    {"split", &components::kSplitYaml, &components::RunSplit, &components::CheckSplitParams},
    {"stats", &components::kStatsYaml, &components::RunStats, &components::CheckStatsParams},
    {"train", &components::kTrainYaml, &components::RunTrain, &components::CheckTrainParams},
    {"transform", &components::kTransformYaml, &components::RunTransform, &components::CheckTransformParams},
    {"validate", &components::kValidateYaml, &components::RunValidate, &components::CheckValidateParams},
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

std::vector<ParamProblem> CheckBuiltinParams(const std::string& name, const nlohmann::json& params,
                                             const std::map<std::string, BuiltinUpstream>& upstream) {
  const Builtin* b = Find(name);
  if (!b || !b->check) return {};
  components::ParamCheck check(params, upstream);
  b->check(check);
  return check.Take();
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
    std::vector<std::string> problems;
    for (const ParamProblem& p : CheckBuiltinParams(inv.name, inv.params)) {
      problems.push_back(p.hint.empty() ? p.message : fmt::format("{} ({})", p.message, p.hint));
    }
    if (!problems.empty()) {
      return InvalidArgumentError(fmt::format("built-in {}: {}", inv.name, Join(problems, "; ")));
    }
    Status s = b->run(inv);
    if (!s.ok()) return s.WithContext(fmt::format("built-in {}", inv.name));
    return s;
  } catch (const std::exception& e) {  // nothing may escape the library
    return InternalError(fmt::format("built-in {}: unexpected error: {}", inv.name, e.what()));
  }
}

}  // namespace mlpipe::ml
