#include "mlpipe/engine/ab_setup.h"

#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/params.h"

namespace mlpipe::engine {
namespace {

std::vector<const spec::StepSpec*> EvaluateSteps(const spec::PipelineSpec& spec) {
  std::vector<const spec::StepSpec*> out;
  for (const spec::StepSpec& s : spec.steps) {
    if (s.builtin() == "evaluate") out.push_back(&s);
  }
  return out;
}

std::string EvaluateStepNames(const std::vector<const spec::StepSpec*>& steps) {
  std::vector<std::string> names;
  for (const spec::StepSpec* s : steps) names.push_back(s->name);
  return Join(names, ", ");
}

// STEP.OUTPUT of `spec`, checked: the step exists, has that output, and the
// output is of `type` when it is typed.
StatusOr<ArtifactPick> PickOutput(const spec::PipelineSpec& spec, const std::string& text,
                                  const std::string& flag, const std::string& type) {
  const size_t dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size()) {
    return InvalidArgumentError(fmt::format("{} {}: expected STEP.OUTPUT (e.g. train.model)", flag, text));
  }
  const std::string step = text.substr(0, dot), output = text.substr(dot + 1);
  const spec::StepSpec* s = spec.FindStep(step);
  if (s == nullptr) {
    std::vector<std::string> names;
    for (const spec::StepSpec& st : spec.steps) names.push_back(st.name);
    const std::string guess = ClosestMatch(step, names);
    return InvalidArgumentError(
        fmt::format("{} {}: {} has no step '{}'{}", flag, text, spec.file, step,
                    guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess)));
  }
  for (const spec::OutputSpec& o : s->outputs) {
    if (o.name != output) continue;
    const std::string& got = o.type.str();
    if (!got.empty() && got != type) {
      return InvalidArgumentError(fmt::format("{} {}: output '{}' of step '{}' is a {}, not a {}", flag, text,
                                              output, step, got, type));
    }
    return ArtifactPick{step, output, false, flag};
  }
  std::vector<std::string> names;
  for (const spec::OutputSpec& o : s->outputs) names.push_back(o.name);
  return InvalidArgumentError(fmt::format("{} {}: step '{}' of {} has no output '{}'; its outputs: {}", flag,
                                          text, step, spec.file, output,
                                          names.empty() ? "none" : Join(names, ", ")));
}

// The `input` of the pipeline's only evaluate step; InvalidArgument saying
// what to pass instead when there is not exactly one.
StatusOr<ArtifactPick> EvaluateInput(const spec::PipelineSpec& spec, const std::string& input,
                                     const std::string& what, const std::string& flag) {
  const std::vector<const spec::StepSpec*> steps = EvaluateSteps(spec);
  if (steps.size() != 1) {
    return InvalidArgumentError(fmt::format(
        "{}: cannot tell {}: the pipeline has {}; name it with {} STEP.OUTPUT", spec.file, what,
        steps.empty() ? "no built-in evaluate step"
                      : fmt::format("{} evaluate steps ({})", steps.size(), EvaluateStepNames(steps)),
        flag));
  }
  return ArtifactPick{steps[0]->name, input, true, fmt::format("the evaluate step's {} input", input)};
}

}  // namespace

std::string ArtifactPick::Label() const {
  return input ? fmt::format("{}'s input {}", step, name) : fmt::format("{}.{}", step, name);
}

StatusOr<SplitOverrides> SplitParamOverrides(const spec::PipelineSpec& a, const spec::PipelineSpec& b,
                                             const std::vector<std::string>& overrides) {
  SplitOverrides out;
  for (const std::string& item : overrides) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError(fmt::format("-p {}: expected NAME=VALUE", item));
    }
    const std::string name(Trim(std::string_view(item).substr(0, eq)));
    const bool in_a = a.FindParam(name) != nullptr, in_b = b.FindParam(name) != nullptr;
    if (!in_a && !in_b) {
      std::vector<std::string> names;
      for (const auto& p : a.params) names.push_back(p.name);
      for (const auto& p : b.params) {
        if (a.FindParam(p.name) == nullptr) names.push_back(p.name);
      }
      const std::string guess = ClosestMatch(name, names);
      const std::string hint = !guess.empty()  ? fmt::format("; did you mean '{}'?", guess)
                               : names.empty() ? std::string("; neither has params")
                                               : fmt::format("; their params: {}", Join(names, ", "));
      return InvalidArgumentError(
          fmt::format("-p {}: neither {} nor {} declares param '{}'{}", item, a.file, b.file, name, hint));
    }
    if (in_a) out.a.push_back(item);
    if (in_b) out.b.push_back(item);
  }
  return out;
}

StatusOr<ArtifactPick> PickModel(const spec::PipelineSpec& spec, const std::string& flag,
                                 const std::string& flag_name) {
  if (!flag.empty()) return PickOutput(spec, flag, flag_name, "model");
  if (spec.registers.size() == 1) {
    const spec::RegisterSpec& r = spec.registers[0];
    return ArtifactPick{r.from_step, r.from_output, false, "register: " + r.model};
  }
  auto pick = EvaluateInput(spec, "model", "which model to compare", flag_name);
  if (!pick.ok() && spec.registers.size() > 1) {
    return InvalidArgumentError(
        fmt::format("{}: cannot tell which model to compare: its register: block has {} "
                    "entries and it has no single evaluate step; name it with {} "
                    "STEP.OUTPUT",
                    spec.file, spec.registers.size(), flag_name));
  }
  return pick;
}

StatusOr<ArtifactPick> PickTest(const spec::PipelineSpec& spec, const std::string& flag) {
  if (!flag.empty()) return PickOutput(spec, flag, "--test", "dataset");
  return EvaluateInput(spec, "test", "which rows to score the models on", "--test");
}

std::optional<ArtifactPick> EvaluateTestInput(const spec::PipelineSpec& spec) {
  auto pick = EvaluateInput(spec, "test", "", "");
  if (!pick.ok()) return std::nullopt;
  return *pick;
}

std::string EvaluateMetricParam(const spec::PipelineSpec& spec, const nlohmann::json& params) {
  const std::vector<const spec::StepSpec*> steps = EvaluateSteps(spec);
  if (steps.size() != 1) return "";
  auto resolved = spec::ResolveStepParams(*steps[0], params);
  if (!resolved.ok() || !resolved->contains("metric") || !(*resolved)["metric"].is_string()) return "";
  return (*resolved)["metric"].get<std::string>();
}

}  // namespace mlpipe::engine
