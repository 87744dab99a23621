// Reading what continuous integration runs for a pipeline: the ci: block
// (the smoke run's params) and the tests: commands of steps and components.
#include <fmt/format.h>

#include "mlpipe/spec/load_state.h"
#include "mlpipe/spec/params.h"
#include "mlpipe/spec/shell_words.h"

namespace mlpipe::spec::internal {
namespace {

const std::vector<std::string> kCiKeys = {"params"};

// Checks one ci: param against the pipeline's declared params; its value as
// a -p text on success.
std::optional<std::string> CiParamText(const MapEntry& e, const PipelineSpec& spec, Diagnostics& diags) {
  const ParamSpec* param = spec.FindParam(std::string(e.name));
  if (param == nullptr) {
    std::vector<std::string> names;
    for (const auto& p : spec.params) names.push_back(p.name);
    diags.Error(
        e.key_loc, fmt::format("ci: sets unknown param '{}'", e.name),
        DidYouMean(e.name, names,
                   names.empty() ? "the pipeline declares no params: add them under params: first"
                                 : fmt::format("the pipeline's params are: {}", fmt::join(names, ", "))));
    return std::nullopt;
  }
  auto value = GetValue(*e.value, e.loc, diags, fmt::format("param '{}' of ci:", e.name));
  if (!value) return std::nullopt;
  // As -p would be given it: a list as JSON, a scalar as written.
  std::string text = value->is_array() ? value->dump() : std::string(e.value->Scalar());
  if (!ParseParamText(param->type, text).ok()) {
    diags.Error(e.loc,
                fmt::format("param '{}' of ci: is {}, got '{}'", e.name, ParamTypeName(param->type), text),
                "give a value of the param's type, as -p NAME=VALUE takes it");
    return std::nullopt;
  }
  return text;
}

}  // namespace

void ParseCi(const MapEntry& entry, LoadState& st, PipelineSpec* spec) {
  if (!entry.value->IsMap()) {
    st.diags.Error(entry.loc, fmt::format("ci: must be a map, got {}", NodeKindName(*entry.value)),
                   "write ci:\n    params: {sample: 0.05}");
    return;
  }
  for (const MapEntry& e : MapEntries(*entry.value, st.diags, &kCiKeys, "ci:")) {
    if (e.value->IsNull()) continue;
    if (!e.value->IsMap()) {
      st.diags.Error(
          e.loc, fmt::format("params of ci: must be a map of NAME: VALUE, got {}", NodeKindName(*e.value)),
          "write params: {sample: 0.05}: the smoke run's -p overrides");
      continue;
    }
    for (const MapEntry& p : MapEntries(*e.value, st.diags, nullptr, "params of ci:")) {
      if (auto text = CiParamText(p, *spec, st.diags))
        spec->ci_params[std::string(p.name)] = std::move(*text);
    }
  }
}

void ParseTests(const MapEntry& entry, Diagnostics& diags, const std::string& where,
                std::vector<std::string>* out) {
  if (entry.value->IsNull()) return;
  auto commands = GetPlacedTextList(entry, diags, "tests of " + where);
  if (!commands) return;
  for (auto& [command, pos] : *commands) {
    auto words = SplitShellWords(command);
    if (!words.ok() || words->empty()) {
      diags.Error(pos,
                  fmt::format("test command '{}' of {}: {}", command, where,
                              words.ok() ? "it is empty" : words.status().message()),
                  "a test is a command split into words like a run: string");
      continue;
    }
    out->push_back(std::move(command));
  }
}

}  // namespace mlpipe::spec::internal
