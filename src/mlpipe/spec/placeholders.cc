#include "mlpipe/spec/placeholders.h"

#include <algorithm>

#include <fmt/format.h>

namespace mlpipe::spec {
namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

bool IsName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsNameChar(c)) return false;
  }
  return true;
}

Status ParseRef(std::string_view body, TemplatePart* part) {
  std::string written;  // "${body}" (plain appends: this runs for every placeholder of a big pipeline)
  written.reserve(body.size() + 3);
  written.append("${").append(body).push_back('}');
  size_t dot = body.find('.');
  if (dot == std::string_view::npos || !IsName(body.substr(0, dot)) || !IsName(body.substr(dot + 1))) {
    return InvalidArgumentError(fmt::format("malformed placeholder '{}'", written));
  }
  std::string_view scope = body.substr(0, dot);
  std::string_view name = body.substr(dot + 1);
  part->kind = TemplatePart::Kind::kRef;
  part->text = written;
  if (scope == "params") {
    part->scope = RefScope::kParams;
  } else if (scope == "inputs") {
    part->scope = RefScope::kInputs;
  } else if (scope == "outputs") {
    part->scope = RefScope::kOutputs;
  } else if (scope == "run" && name == "id") {
    part->scope = RefScope::kRunId;
    return OkStatus();
  } else if (scope == "step" && name == "name") {
    part->scope = RefScope::kStepName;
    return OkStatus();
  } else if (scope == "pipeline" && name == "dir") {
    part->scope = RefScope::kPipelineDir;
    return OkStatus();
  } else {
    return InvalidArgumentError(fmt::format("unknown placeholder '{}'", written));
  }
  part->name = std::string(name);
  return OkStatus();
}

StatusOr<std::string> LookUp(const TemplatePart& part, const ExpandContext& context) {
  switch (part.scope) {
    case RefScope::kParams: {
      auto it = context.params.find(part.name);
      if (it == context.params.end()) return NotFoundError(fmt::format("unknown param '{}'", part.name));
      return FormatParamValue(*it);
    }
    case RefScope::kInputs: {
      auto it = context.inputs.find(part.name);
      if (it == context.inputs.end()) return NotFoundError(fmt::format("unknown input '{}'", part.name));
      return it->second;
    }
    case RefScope::kOutputs: {
      auto it = context.outputs.find(part.name);
      if (it == context.outputs.end()) return NotFoundError(fmt::format("unknown output '{}'", part.name));
      return it->second;
    }
    case RefScope::kRunId: return context.run_id;
    case RefScope::kStepName: return context.step_name;
    case RefScope::kPipelineDir: return context.pipeline_dir;
  }
  return InternalError("bad placeholder scope");
}

}  // namespace

bool Template::HasRefs() const {
  for (const auto& p : parts) {
    if (p.kind == TemplatePart::Kind::kRef) return true;
  }
  return false;
}

Status ForEachTemplatePart(std::string_view text, const std::function<void(TemplatePart&&)>& visit) {
  std::string literal;
  size_t literal_start = 0;
  auto flush = [&] {
    if (literal.empty()) return;
    TemplatePart part;
    part.text = std::move(literal);
    part.offset = literal_start;
    visit(std::move(part));
    literal.clear();
  };
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '$' || i + 1 >= text.size() || (text[i + 1] != '$' && text[i + 1] != '{')) {
      if (literal.empty()) literal_start = i;
      literal.push_back(text[i]);
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      if (literal.empty()) literal_start = i;
      literal.push_back('$');
      i += 2;
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return InvalidArgumentError(
          fmt::format("unterminated placeholder '{}' (missing '}}')", text.substr(i)));
    }
    flush();
    TemplatePart part;
    part.offset = i;
    RETURN_IF_ERROR(ParseRef(text.substr(i + 2, close - i - 2), &part));
    visit(std::move(part));
    i = close + 1;
  }
  flush();
  return OkStatus();
}

StatusOr<Template> ParseTemplate(std::string_view text) {
  Template t;
  // At most a literal before each '$' and the '$' part itself, plus a tail:
  // a join's command may hold 10,000 placeholders, so no doubling slack.
  t.parts.reserve(2 * static_cast<size_t>(std::count(text.begin(), text.end(), '$')) + 1);
  RETURN_IF_ERROR(ForEachTemplatePart(text, [&](TemplatePart&& part) { t.parts.push_back(std::move(part)); }));
  return t;
}

std::string FormatParamValue(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string out;
    for (const auto& element : value) {
      if (!out.empty()) out.push_back(' ');
      out += FormatParamValue(element);
    }
    return out;
  }
  if (value.is_null()) return "";
  return value.dump();
}

StatusOr<std::string> Expand(std::string_view template_text, const ExpandContext& context) {
  ASSIGN_OR_RETURN(Template t, ParseTemplate(template_text));
  std::string out;
  for (const auto& part : t.parts) {
    if (part.kind == TemplatePart::Kind::kLiteral) {
      out += part.text;
    } else {
      ASSIGN_OR_RETURN(std::string value, LookUp(part, context));
      out += value;
    }
  }
  return out;
}

StatusOr<std::vector<std::string>> ExpandArgv(const std::vector<std::string>& argv,
                                              const ExpandContext& context) {
  std::vector<std::string> out;
  out.reserve(argv.size());
  for (const auto& element : argv) {
    ASSIGN_OR_RETURN(Template t, ParseTemplate(element));
    if (t.IsSingleRef() && t.parts[0].scope == RefScope::kParams) {
      auto it = context.params.find(t.parts[0].name);
      if (it != context.params.end() && it->is_array()) {
        for (const auto& item : *it) out.push_back(FormatParamValue(item));
        continue;
      }
    }
    ASSIGN_OR_RETURN(std::string expanded, Expand(element, context));
    out.push_back(std::move(expanded));
  }
  return out;
}

}  // namespace mlpipe::spec
