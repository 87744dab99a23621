#include "mlpipe/spec/params.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/placeholders.h"

namespace mlpipe::spec {
namespace {

std::optional<int64_t> ParseInt(std::string_view text) {
  if (!text.empty() && text[0] == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// YAML 1.2 core float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
std::optional<double> ParseFloat(std::string_view text) {
  size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  size_t digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  std::string copy(text);
  double value = std::strtod(copy.c_str(), nullptr);
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<bool> ParseBool(std::string_view text, bool lenient) {
  const std::string lower = AsciiLower(text);
  if (!lenient && text != "true" && text != "True" && text != "TRUE" && text != "false" && text != "False" &&
      text != "FALSE") {
    return std::nullopt;
  }
  if (lower == "true" || lower == "yes" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "0") return false;
  return std::nullopt;
}

std::string Describe(const nlohmann::json& value) {
  return fmt::format("{} {}", ParamTypeName(InferParamType(value)), value.dump());
}

// A -p value as error messages quote it: a long one (a 20 KB list) cut to
// its start and its size.
std::string Abbreviate(std::string_view text) {
  constexpr size_t kShown = 60;
  if (text.size() <= kShown) return std::string(text);
  return fmt::format("{}... ({} bytes)", text.substr(0, kShown), text.size());
}

}  // namespace

std::optional<ParamType> ParamTypeFromName(std::string_view name) {
  if (name == "int") return ParamType::kInt;
  if (name == "float") return ParamType::kFloat;
  if (name == "string" || name == "str") return ParamType::kString;
  if (name == "bool") return ParamType::kBool;
  if (name == "list") return ParamType::kList;
  return std::nullopt;
}

ParamType InferParamType(const nlohmann::json& value) {
  if (value.is_number_integer()) return ParamType::kInt;
  if (value.is_number_float()) return ParamType::kFloat;
  if (value.is_boolean()) return ParamType::kBool;
  if (value.is_array()) return ParamType::kList;
  return ParamType::kString;
}

nlohmann::json InferScalarValue(std::string_view text) {
  if (auto i = ParseInt(text)) return *i;
  if (auto f = ParseFloat(text)) return *f;
  if (auto b = ParseBool(text, /*lenient=*/false)) return *b;
  return std::string(text);
}

StatusOr<nlohmann::json> ParseParamText(ParamType type, std::string_view text) {
  auto bad = [&] {
    return InvalidArgumentError(fmt::format("expected {}, got '{}'", ParamTypeName(type), text));
  };
  switch (type) {
    case ParamType::kInt: {
      auto v = ParseInt(Trim(text));
      if (!v) return bad();
      return nlohmann::json(*v);
    }
    case ParamType::kFloat: {
      auto v = ParseFloat(Trim(text));
      if (!v) return bad();
      return nlohmann::json(*v);
    }
    case ParamType::kBool: {
      auto v = ParseBool(Trim(text), /*lenient=*/true);
      if (!v) return bad();
      return nlohmann::json(*v);
    }
    case ParamType::kString:
      return nlohmann::json(std::string(text));
    case ParamType::kList: {
      std::string_view trimmed = Trim(text);
      if (!trimmed.empty() && trimmed.front() == '[') {
        nlohmann::json parsed = nlohmann::json::parse(trimmed, nullptr, /*allow_exceptions=*/false);
        if (parsed.is_discarded() || !parsed.is_array()) {
          return InvalidArgumentError(fmt::format("expected a JSON list, got '{}'", Abbreviate(text)));
        }
        // As in a YAML default: a list holds plain values (a nested list
        // would also nest every expansion of it without bound).
        for (size_t i = 0; i < parsed.size(); ++i) {
          if (parsed[i].is_array() || parsed[i].is_object()) {
            return InvalidArgumentError(
                fmt::format("item {} is a {}; a list param holds plain values (number, string or bool)",
                            i + 1, parsed[i].is_array() ? "list" : "map"));
          }
        }
        return parsed;
      }
      nlohmann::json list = nlohmann::json::array();
      if (trimmed.empty()) return list;
      for (const auto& item : Split(trimmed, ',')) list.push_back(InferScalarValue(Trim(item)));
      return list;
    }
  }
  return bad();
}

StatusOr<nlohmann::json> CoerceParamValue(ParamType type, const nlohmann::json& value) {
  auto bad = [&] {
    return InvalidArgumentError(fmt::format("expected {}, got {}", ParamTypeName(type), Describe(value)));
  };
  switch (type) {
    case ParamType::kInt:
      if (value.is_number_integer()) return value;
      return bad();
    case ParamType::kFloat:
      if (value.is_number()) return nlohmann::json(value.get<double>());
      return bad();
    case ParamType::kBool:
      if (value.is_boolean()) return value;
      return bad();
    case ParamType::kString:
      if (value.is_string()) return value;
      if (value.is_number() || value.is_boolean()) return nlohmann::json(FormatParamValue(value));
      return bad();
    case ParamType::kList:
      if (value.is_array()) return value;
      return bad();
  }
  return bad();
}

nlohmann::json DefaultParams(const PipelineSpec& spec) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& p : spec.params) out[p.name] = p.default_value;
  return out;
}

StatusOr<nlohmann::json> ApplyParamOverrides(const PipelineSpec& spec,
                                             const std::vector<std::string>& overrides) {
  nlohmann::json out = DefaultParams(spec);
  for (const auto& item : overrides) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgumentError(fmt::format("-p {}: expected NAME=VALUE", item));
    }
    std::string name(Trim(std::string_view(item).substr(0, eq)));
    std::string_view text = std::string_view(item).substr(eq + 1);
    const ParamSpec* param = spec.FindParam(name);
    if (param == nullptr) {
      std::vector<std::string> names;
      for (const auto& p : spec.params) names.push_back(p.name);
      std::string guess = ClosestMatch(name, names);
      std::string hint = !guess.empty()  ? fmt::format("; did you mean '{}'?", guess)
                         : names.empty() ? std::string("; the pipeline has no params")
                                         : fmt::format("; params are: {}", Join(names, ", "));
      return InvalidArgumentError(fmt::format("-p {}: unknown param '{}'{}", item, name, hint));
    }
    auto value = ParseParamText(param->type, text);
    if (!value.ok()) {
      const std::string shown = Abbreviate(text);
      if (param->type == ParamType::kList && value.status().message().find("item ") == 0) {
        return InvalidArgumentError(
            fmt::format("-p {}={}: param '{}' is list: {}", name, shown, name, value.status().message()));
      }
      return InvalidArgumentError(fmt::format("-p {}={}: param '{}' is {}, got '{}'", name, shown, name,
                                              ParamTypeName(param->type), shown));
    }
    out[name] = std::move(value).value();
  }
  return out;
}

StatusOr<nlohmann::json> ResolveStepParams(const StepSpec& step, const nlohmann::json& pipeline_params) {
  if (step.component == nullptr) return pipeline_params;
  nlohmann::json out = nlohmann::json::object();
  ExpandContext context;
  context.params = pipeline_params;
  context.step_name = step.name;
  static const std::vector<ParamSpec> kNone;
  for (const auto& param : step.component ? step.component->params : kNone) {
    auto type_error = [&](const nlohmann::json& got) {
      return InvalidArgumentError(
          fmt::format("step '{}': param '{}' is {}, got {}", step.name, param.name, ParamTypeName(param.type),
                      got.is_string() ? fmt::format("'{}'", got.get<std::string>()) : got.dump()));
    };
    auto it = step.params.find(param.name);
    if (it == step.params.end() || !it->is_string()) {
      // A default, or a bound literal that is not a template.
      const nlohmann::json& value = it == step.params.end() ? param.default_value : *it;
      auto coerced = CoerceParamValue(param.type, value);
      if (!coerced.ok()) return type_error(value);
      out[param.name] = *coerced;
      continue;
    }
    const std::string& text = it->get_ref<const std::string&>();
    auto parsed = ParseTemplate(text);
    if (!parsed.ok()) {
      return parsed.status().WithContext(fmt::format("step '{}': param '{}'", step.name, param.name));
    }
    if (parsed->IsSingleRef() && parsed->parts[0].scope == RefScope::kParams) {
      // Exactly "${params.X}": keep X's type (a list stays a list).
      auto ref = pipeline_params.find(parsed->parts[0].name);
      if (ref == pipeline_params.end()) {
        return NotFoundError(fmt::format("step '{}': param '{}' refers to unknown pipeline param '{}'",
                                         step.name, param.name, parsed->parts[0].name));
      }
      auto coerced = CoerceParamValue(param.type, *ref);
      if (coerced.ok()) {
        out[param.name] = *coerced;
        continue;
      }
      if (!ref->is_string()) return type_error(*ref);
      auto reparsed = ParseParamText(param.type, ref->get<std::string>());
      if (!reparsed.ok()) return type_error(*ref);
      out[param.name] = *reparsed;
      continue;
    }
    auto expanded = Expand(text, context);
    if (!expanded.ok()) {
      return expanded.status().WithContext(fmt::format("step '{}': param '{}'", step.name, param.name));
    }
    auto typed = ParseParamText(param.type, *expanded);
    if (!typed.ok()) return type_error(nlohmann::json(*expanded));
    out[param.name] = *typed;
  }
  return out;
}

}  // namespace mlpipe::spec
