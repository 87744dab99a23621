#include "mlpipe/spec/decl_parse.h"

#include <algorithm>

#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/params.h"
#include "mlpipe/spec/placeholders.h"
#include "mlpipe/spec/shell_words.h"

namespace mlpipe::spec::internal {
namespace {

const std::vector<std::string> kParamLongKeys = {"type", "default", "description"};
const std::vector<std::string> kInputLongKeys = {"type", "description", "optional"};
const std::vector<std::string> kOutputLongKeys = {"type", "description", "optional", "keep_on_failure"};
const std::vector<std::string> kTypeNames = {"int", "float", "string", "bool", "list"};

std::string ScopeName(RefScope scope) {
  switch (scope) {
    case RefScope::kParams: return "params";
    case RefScope::kInputs: return "inputs";
    case RefScope::kOutputs: return "outputs";
    default: return "";
  }
}

}  // namespace

std::vector<ParamSpec> ParseParamDecls(const MapEntry& entry, Diagnostics& diags, std::string_view where) {
  std::vector<ParamSpec> params;
  if (entry.value->IsNull()) return params;
  if (!entry.value->IsMap()) {
    diags.Error(entry.loc, fmt::format("params of {} must be a map of name: default, got {}", where,
                                       NodeKindName(*entry.value)),
                "write params: as a map, e.g. {depth: 6, eta: {type: float, default: 0.3}}");
    return params;
  }
  for (const auto& p : MapEntries(*entry.value, diags, nullptr, fmt::format("params of {}", where))) {
    ParamSpec param;
    param.name = p.name;
    param.loc = diags.Loc(p.key_loc);
    if (!IsValidName(p.name)) {
      diags.Error(p.key_loc, fmt::format("bad param name '{}'", p.name),
                  "use letters, digits, '_' and '-'");
      continue;
    }
    if (p.value->IsNull()) {
      diags.Error(p.loc, fmt::format("param '{}' has no default", p.name),
                  fmt::format("write {}: VALUE or {}: {{type: TYPE, default: VALUE}}", p.name, p.name));
      continue;
    }
    if (!p.value->IsMap()) {
      auto value = GetValue(*p.value, p.loc, diags, fmt::format("param '{}'", p.name));
      if (!value) continue;
      param.type = InferParamType(*value);
      param.default_value = std::move(*value);
      params.push_back(std::move(param));
      continue;
    }
    std::string what = fmt::format("param '{}'", p.name);
    auto fields = MapEntries(*p.value, diags, &kParamLongKeys, what);
    const MapEntry* type_entry = FindEntry(fields, "type");
    const MapEntry* default_entry = FindEntry(fields, "default");
    if (const MapEntry* d = FindEntry(fields, "description")) {
      if (auto text = GetText(*d, diags, "description")) param.description = *text;
    }
    std::optional<ParamType> type;
    bool type_ok = true;
    if (type_entry != nullptr) {
      auto name = GetText(*type_entry, diags, fmt::format("type of {}", what));
      if (name) type = ParamTypeFromName(*name);
      if (name && !type) {
        diags.Error(type_entry->loc, fmt::format("unknown type '{}' for {}", *name, what),
                    DidYouMean(*name, kTypeNames, "types are int, float, string, bool, list"));
      }
      type_ok = type.has_value();
    }
    if (default_entry == nullptr || default_entry->value->IsNull()) {
      diags.Error(p.key_loc, fmt::format("{} has no default", what),
                  "add default: VALUE (every param needs a default in this version)");
      continue;
    }
    auto value = GetValue(*default_entry->value, default_entry->loc, diags, fmt::format("default of {}", what));
    if (!value || !type_ok) continue;
    param.type = type ? *type : InferParamType(*value);
    auto coerced = CoerceParamValue(param.type, *value);
    if (!coerced.ok()) {
      diags.Error(default_entry->loc,
                  fmt::format("default of {} does not match its type {}: got {}", what,
                              ParamTypeName(param.type), NodeKindName(*default_entry->value)),
                  fmt::format("give a default of type {}, or change type:", ParamTypeName(param.type)));
      continue;
    }
    param.default_value = std::move(coerced).value();
    params.push_back(std::move(param));
  }
  return params;
}

std::vector<OutputSpec> ParsePorts(const MapEntry& entry, Diagnostics& diags, std::string_view where,
                                   PortKind kind) {
  std::vector<OutputSpec> ports;
  if (entry.value->IsNull()) return ports;
  if (!entry.value->IsMap()) {
    diags.Error(entry.loc, fmt::format("{} must be a map of name: type, got {}", where, NodeKindName(*entry.value)),
                "write e.g. {model: model, metrics: metrics}");
    return ports;
  }
  for (const auto& p : MapEntries(*entry.value, diags, nullptr, where)) {
    OutputSpec port;
    port.name = p.name;
    port.loc = diags.Loc(p.key_loc);
    if (!IsValidName(p.name)) {
      diags.Error(p.key_loc, fmt::format("bad name '{}' in {}", p.name, where),
                  "use letters, digits, '_' and '-' (no '.')");
      continue;
    }
    if (p.value->IsMap()) {
      auto fields =
          MapEntries(*p.value, diags, kind == PortKind::kOutput ? &kOutputLongKeys : &kInputLongKeys,
                     fmt::format("'{}' of {}", p.name, where));
      if (const MapEntry* t = FindEntry(fields, "type")) {
        if (auto text = GetText(*t, diags, "type")) port.type = *text;
      }
      if (const MapEntry* o = FindEntry(fields, "optional")) {
        if (auto flag = GetBool(*o, diags, "optional")) port.optional = *flag;
      }
      if (const MapEntry* k = FindEntry(fields, "keep_on_failure")) {
        if (auto flag = GetBool(*k, diags, "keep_on_failure")) port.keep_on_failure = *flag;
      }
    } else if (p.value->IsScalar()) {
      port.type = p.value->Scalar();
    } else if (!p.value->IsNull()) {
      GetText(p, diags, fmt::format("type of '{}' in {}", p.name, where));
    }
    ports.push_back(std::move(port));
  }
  return ports;
}

bool ParseRun(const MapEntry& entry, bool shell, Diagnostics& diags, std::string_view where,
              std::vector<std::string>* command, std::vector<TemplateSite>* sites) {
  if (entry.value->IsScalar()) {
    std::string_view text = entry.value->Scalar();
    if (Trim(text).empty()) {
      diags.Error(entry.loc, fmt::format("run: of {} is empty", where), "give the command to run");
      return false;
    }
    if (shell) {
      command->emplace_back(text);
      sites->push_back({std::string(text), entry.loc, TemplateSite::Where::kRun});
      return true;
    }
    auto words = SplitShellWords(text);
    if (!words.ok()) {
      diags.Error(entry.loc, fmt::format("run: of {}: {}", where, words.status().message()),
                  "close the quote, or write run: as a list of arguments");
      return false;
    }
    for (const auto& word : *words) {
      if (IsShellOperator(word)) {
        diags.Error(entry.loc,
                    fmt::format("run: of {} contains the shell operator '{}', but it is not run by a shell",
                                where, word.text),
                    "add shell: true to run it with /bin/sh -c, or quote the word to pass it literally");
        return false;
      }
      command->push_back(word.text);
      sites->push_back({word.text, entry.loc, TemplateSite::Where::kRun});
    }
    return true;
  }
  if (entry.value->IsSequence()) {
    if (shell) {
      diags.Error(entry.loc, fmt::format("run: of {} must be one string when shell: true", where),
                  "write the whole shell command as one string");
      return false;
    }
    bool ok = true;
    for (const YamlNode* item_ptr : entry.value->items()) {
      const YamlNode& item = *item_ptr;
      if (!item.IsScalar()) {
        diags.Error(item, fmt::format("arguments in run: of {} must be strings, got {}", where, NodeKindName(item)));
        ok = false;
        continue;
      }
      command->emplace_back(item.Scalar());
      sites->push_back({std::string(item.Scalar()), Diagnostics::At(item), TemplateSite::Where::kRun});
    }
    if (ok && command->empty()) {
      diags.Error(entry.loc, fmt::format("run: of {} is empty", where), "give the command to run");
      return false;
    }
    return ok;
  }
  diags.Error(entry.loc, fmt::format("run: of {} must be a string or a list of arguments, got {}", where,
                                     NodeKindName(*entry.value)));
  return false;
}

void ParseEnv(const MapEntry& entry, Diagnostics& diags, std::string_view where,
              std::map<std::string, std::string>* env, std::vector<TemplateSite>* sites) {
  if (entry.value->IsNull()) return;
  if (!entry.value->IsMap()) {
    diags.Error(entry.loc, fmt::format("env: of {} must be a map of NAME: value, got {}", where,
                                       NodeKindName(*entry.value)));
    return;
  }
  for (const auto& e : MapEntries(*entry.value, diags, nullptr, fmt::format("env: of {}", where))) {
    if (e.name.empty() || e.name.find('=') != std::string::npos) {
      diags.Error(e.key_loc, fmt::format("bad environment variable name '{}'", e.name));
      continue;
    }
    auto text = GetText(e, diags, fmt::format("env {}", e.name));
    if (!text) continue;
    (*env)[std::string(e.name)] = *text;
    sites->push_back({*text, e.loc, TemplateSite::Where::kEnv});
  }
}

void CheckTemplates(const std::vector<TemplateSite>& sites, const TemplateScope& scope,
                    const std::vector<OutputSpec>& outputs, bool check_outputs_written, Diagnostics& diags) {
  std::vector<std::string> written;  // outputs mentioned
  // Sorted views for lookups: a join step may bind 10,000 inputs and name each once.
  auto sorted = [](const std::vector<std::string>& v) {
    std::vector<std::string_view> out(v.begin(), v.end());
    std::sort(out.begin(), out.end());
    return out;
  };
  std::vector<std::string_view> sorted_params, sorted_inputs = sorted(scope.inputs),
                                               sorted_outputs = sorted(scope.outputs);
  bool params_sorted = false;
  // Whether a part names something declared (literals and run/step/pipeline
  // placeholders always do); records the outputs mentioned.
  auto known = [&](const TemplatePart& part) {
    if (part.kind != TemplatePart::Kind::kRef) return true;
    const std::vector<std::string_view>* lookup = nullptr;
    switch (part.scope) {
      case RefScope::kParams:
        if (!params_sorted) {
          sorted_params = sorted(scope.Params());
          params_sorted = true;
        }
        lookup = &sorted_params;
        break;
      case RefScope::kInputs:
        lookup = &sorted_inputs;
        break;
      case RefScope::kOutputs:
        lookup = &sorted_outputs;
        written.push_back(part.name);
        break;
      default:
        return true;
    }
    return std::binary_search(lookup->begin(), lookup->end(), std::string_view(part.name));
  };
  auto report_unknown = [&](const TemplatePart& part, const TemplateSite& site) {
    const std::vector<std::string>* names = nullptr;
    std::string kind;
    std::string hint;
    switch (part.scope) {
      case RefScope::kParams:
        names = &scope.Params();
        kind = fmt::format("{} param", scope.params_origin);
        hint = fmt::format("declare it under params:{}", names->empty() ? "" : "; params are: " + Join(*names, ", "));
        break;
      case RefScope::kInputs:
        names = &scope.inputs;
        kind = "input";
        hint = fmt::format("bind it under inputs:{}", names->empty() ? "" : "; inputs are: " + Join(*names, ", "));
        break;
      default:
        names = &scope.outputs;
        kind = "output";
        hint = fmt::format("declare it under outputs:{}", names->empty() ? "" : "; outputs are: " + Join(*names, ", "));
        break;
    }
    diags.Error(site.loc, fmt::format("{} refers to unknown {} '{}' in {}", part.text, kind, part.name, scope.what),
                DidYouMean(part.name, *names, hint) == hint
                    ? hint
                    : fmt::format("did you mean '${{{}.{}}}'?", ScopeName(part.scope), ClosestMatch(part.name, *names)));
  };
  for (const auto& site : sites) {
    if (site.text.find('$') == std::string::npos) continue;  // no placeholder
    // Part by part (a join's command may hold 10,000 placeholders: no list of
    // them all), keeping only the unknown ones: a malformed site reports only
    // its syntax error.
    const size_t written_before = written.size();
    std::vector<TemplatePart> unknown;
    Status syntax = ForEachTemplatePart(site.text, [&](TemplatePart&& part) {
      if (!known(part)) unknown.push_back(std::move(part));
    });
    if (!syntax.ok()) {
      written.resize(written_before);
      std::string hint = fmt::format("placeholders are {}", kPlaceholderForms);
      diags.Error(site.loc, fmt::format("{} in {}", syntax.message(), scope.what), hint);
      continue;
    }
    for (const TemplatePart& part : unknown) report_unknown(part, site);
  }
  if (!check_outputs_written) return;
  std::sort(written.begin(), written.end());
  for (const auto& out : outputs) {
    if (std::binary_search(written.begin(), written.end(), out.name)) continue;
    diags.Error(out.loc,
                fmt::format("output '{}' of {} is never written: neither run: nor env: mentions ${{outputs.{}}}",
                            out.name, scope.what, out.name),
                fmt::format("pass ${{outputs.{}}} in run: or env: so the command knows where to write it", out.name));
  }
}

}  // namespace mlpipe::spec::internal
