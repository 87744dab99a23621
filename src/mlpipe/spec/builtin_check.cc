// CheckBuiltinSteps: the param values of steps using built-ins, checked by
// the rules the built-ins give (LoadOptions::check_builtin_params).
#include <fmt/format.h>

#include <unordered_map>

#include "mlpipe/spec/load_state.h"

namespace mlpipe::spec::internal {
namespace {

// The step's params as far as the spec fixes them (BuiltinStepView::params).
BuiltinStepView ViewOf(const StepSpec& step, const PipelineSpec& spec) {
  BuiltinStepView view{step.name, step.builtin(), step.params};
  if (!view.params.is_object()) view.params = nlohmann::json::object();
  for (auto it = view.params.begin(); it != view.params.end(); ++it) {
    nlohmann::json& value = it.value();
    if (!value.is_string()) continue;
    const std::string& text = value.get_ref<const std::string&>();
    if (text.find('$') == std::string::npos) continue;
    const ParamSpec* param = nullptr;
    if (text.size() > 10 && text.rfind("${params.", 0) == 0 && text.back() == '}') {
      param = spec.FindParam(text.substr(9, text.size() - 10));
    }
    value = param != nullptr ? param->default_value : nlohmann::json();
  }
  return view;
}

}  // namespace

void CheckBuiltinSteps(const PipelineSpec& spec, LoadState& st) {
  if (!st.options.check_builtin_params || st.builtin_sites.empty()) return;
  std::unordered_map<std::string_view, const StepSpec*> steps;
  for (const StepSpec& s : spec.steps) steps.emplace(s.name, &s);
  for (const BuiltinSites& sites : st.builtin_sites) {
    auto it = steps.find(sites.step);
    if (it == steps.end() || it->second->builtin().empty()) continue;
    const StepSpec& step = *it->second;
    std::map<std::string, BuiltinStepView> upstream;
    for (const InputBinding& in : step.inputs) {
      auto from = steps.find(in.step());
      if (in.kind != InputBinding::Kind::kStepOutput || from == steps.end() ||
          from->second->builtin().empty()) {
        continue;
      }
      upstream.emplace(in.name, ViewOf(*from->second, spec));
    }
    for (const BuiltinParamProblem& p : st.options.check_builtin_params(ViewOf(step, spec), upstream)) {
      auto at = sites.params.find(p.param);
      st.diags.Error(at != sites.params.end() ? at->second : sites.uses,
                     fmt::format("step '{}': {}", step.name, p.message), p.hint);
    }
  }
}

}  // namespace mlpipe::spec::internal
