// Reading the pipeline's register: block: which model outputs a successful
// run registers in the model registry, under which name and alias, and on
// which blessing.
#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/load_state.h"

namespace mlpipe::spec::internal {
namespace {

const std::vector<std::string> kRegisterKeys = {"model", "from", "alias", "when", "description"};

// What a STEP.OUTPUT reference must be: "from" -> model, "when" -> blessing.
struct RefRule {
  const char* key;
  const char* type;
  const char* hint;  // what such an output is
};
constexpr RefRule kFromRule = {
    "from", "model",
    "the `model` output of an mlpipe/train step (e.g. train.model) or an output of your "
    "own step declared `NAME: model`, a folder with a manifest.json "
    "(docs/model-packages.md)"};
constexpr RefRule kWhenRule = {"when", "blessing",
                               "the `blessing` output of an mlpipe/evaluate step, e.g. evaluate.blessing"};

// Checks `entry` (a STEP.OUTPUT text) against the parsed steps; on success
// sets *step and *output.
void ParseOutputRef(const MapEntry& entry, const RefRule& rule, const std::string& where, const PipelineSpec& spec,
                    Diagnostics& diags, std::string* step, std::string* output) {
  auto text = GetText(entry, diags, fmt::format("{} of {}", rule.key, where));
  if (!text) return;
  size_t dot = text->find('.');
  if (dot == std::string::npos || !IsValidName(text->substr(0, dot)) || !IsValidName(text->substr(dot + 1))) {
    diags.Error(entry.loc, fmt::format("{} of {} is '{}', not STEP.OUTPUT", rule.key, where, *text),
                fmt::format("name {}", rule.hint));
    return;
  }
  std::string step_name = text->substr(0, dot);
  std::string out_name = text->substr(dot + 1);
  const StepSpec* from = spec.FindStep(step_name);
  if (from == nullptr) {
    std::vector<std::string> names;
    for (const auto& s : spec.steps) names.push_back(s.name);
    diags.Error(entry.loc, fmt::format("{} of {} refers to unknown step '{}'", rule.key, where, step_name),
                DidYouMean(step_name, names, fmt::format("name {}", rule.hint)));
    return;
  }
  const OutputSpec* out = nullptr;
  std::vector<std::string> typed;  // outputs of the wanted type
  std::vector<std::string> all;
  for (const auto& o : from->outputs) {
    if (o.name == out_name) out = &o;
    all.push_back(o.name);
    if (o.type == rule.type) typed.push_back(from->name + "." + o.name);
  }
  if (out == nullptr) {
    std::string guess = ClosestMatch(out_name, all);
    diags.Error(entry.loc,
                fmt::format("{} of {}: step '{}' has no output '{}'", rule.key, where, from->name, out_name),
                !guess.empty()  ? fmt::format("did you mean '{}.{}'?", from->name, guess)
                : all.empty()   ? fmt::format("step '{}' declares no outputs", from->name)
                                : fmt::format("its outputs are: {}", Join(all, ", ")));
    return;
  }
  if (out->type != rule.type) {
    diags.Error(entry.loc,
                fmt::format("{} of {} must be an output of type {}, but {} is of type {}", rule.key, where, rule.type,
                            *text, out->type.empty() ? "(untyped)" : out->type),
                typed.empty() ? fmt::format("name {}", rule.hint)
                              : fmt::format("did you mean {}?", Join(typed, " or ")));
    return;
  }
  *step = std::move(step_name);
  *output = std::move(out_name);
}

// Reports a name refused by `check` at `pos`.
void CheckName(const std::function<Status(std::string_view)>& check, std::string_view name, Pos pos,
               const char* what, const std::string& where, Diagnostics& diags) {
  if (!check) return;
  Status st = check(name);
  if (st.ok()) return;
  diags.Error(pos, fmt::format("{} of {}: {}", what, where, st.message()),
              std::string_view(what) == "model"
                  ? "model names are 1-128 letters, digits, '.', '_' and '-'"
                  : "aliases are 1-128 letters, digits, '.', '_' and '-', starting with a letter; "
                    "not 'latest' nor vN");
}

void ParseOne(const YamlNode& node, size_t index, LoadState& st, PipelineSpec* spec) {
  Diagnostics& diags = st.diags;
  std::string where = fmt::format("register entry {}", index + 1);
  if (!node.IsMap()) {
    diags.Error(node, fmt::format("{} must be a map like {{model: NAME, from: train.model}}, got {}", where,
                                  NodeKindName(node)),
                "write register:\n    - model: NAME\n      from: STEP.OUTPUT");
    return;
  }
  RegisterSpec reg;
  reg.loc = diags.Loc(node);
  size_t errors = diags.count();
  auto entries = MapEntries(node, diags, &kRegisterKeys, where);
  if (const MapEntry* e = FindEntry(entries, "model")) {
    if (auto name = GetText(*e, diags, "model of " + where)) {
      reg.model = *name;
      where = fmt::format("register entry '{}'", reg.model);
      CheckName(st.options.check_model_name, reg.model, e->loc, "model", where, diags);
    }
  } else {
    diags.Error(node, fmt::format("{} has no model:", where), "add model: NAME (the registered model's name)");
  }
  if (const MapEntry* e = FindEntry(entries, "from")) {
    ParseOutputRef(*e, kFromRule, where, *spec, diags, &reg.from_step, &reg.from_output);
  } else {
    diags.Error(node, fmt::format("{} has no from:", where), fmt::format("add from: {}", kFromRule.hint));
  }
  if (const MapEntry* e = FindEntry(entries, "alias")) {
    std::vector<std::pair<std::string, Pos>> aliases;
    if (e->value->IsScalar()) {
      aliases.emplace_back(std::string(e->value->Scalar()), e->loc);
    } else if (e->value->IsSequence()) {
      for (const YamlNode* item : e->value->items()) {
        if (!item->IsScalar()) {
          diags.Error(*item, fmt::format("items of alias of {} must be strings, got {}", where, NodeKindName(*item)));
          continue;
        }
        aliases.emplace_back(std::string(item->Scalar()), Diagnostics::At(*item));
      }
    } else {
      diags.Error(e->loc, fmt::format("alias of {} must be a name or a list of names, got {}", where,
                                      NodeKindName(*e->value)));
    }
    for (auto& [alias, pos] : aliases) {
      CheckName(st.options.check_alias_name, alias, pos, "alias", where, diags);
      reg.aliases.push_back(std::move(alias));
    }
  }
  if (const MapEntry* e = FindEntry(entries, "when")) {
    ParseOutputRef(*e, kWhenRule, where, *spec, diags, &reg.when_step, &reg.when_output);
  }
  if (const MapEntry* e = FindEntry(entries, "description")) {
    if (auto d = GetText(*e, diags, "description of " + where)) reg.description = *d;
  }
  if (diags.count() != errors) return;
  for (const auto& other : spec->registers) {
    if (other.model == reg.model) {
      diags.Error(reg.loc,
                  fmt::format("model '{}' is registered twice in register: (first at line {})", reg.model,
                              other.loc.line),
                  "one entry per model name: a run registers one version of each model");
      return;
    }
  }
  spec->registers.push_back(std::move(reg));
}

}  // namespace

void ParseRegister(const MapEntry& entry, LoadState& st, PipelineSpec* spec) {
  const YamlNode& value = *entry.value;
  if (value.IsMap()) {
    ParseOne(value, 0, st, spec);
  } else if (value.IsSequence()) {
    for (size_t i = 0; i < value.items().size(); ++i) ParseOne(*value.items()[i], i, st, spec);
  } else {
    st.diags.Error(entry.loc,
                   fmt::format("register: must be a map or a list of maps, got {}", NodeKindName(value)),
                   "write register:\n    - model: NAME\n      from: STEP.OUTPUT");
  }
}

}  // namespace mlpipe::spec::internal
