#include "mlpipe/spec/pipeline.h"

#include <fmt/format.h>

namespace mlpipe::spec {

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string Diagnostic::ToString() const {
  std::string out = fmt::format("{}: error: {}", loc.ToString(), message);
  if (!hint.empty()) out += fmt::format("\n  hint: {}", hint);
  return out;
}

const char* ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt: return "int";
    case ParamType::kFloat: return "float";
    case ParamType::kString: return "string";
    case ParamType::kBool: return "bool";
    case ParamType::kList: return "list";
  }
  return "?";
}

const StepSpec* PipelineSpec::FindStep(const std::string& step_name) const {
  for (const auto& s : steps) {
    if (s.name == step_name) return &s;
  }
  return nullptr;
}

const ParamSpec* PipelineSpec::FindParam(const std::string& param_name) const {
  for (const auto& p : params) {
    if (p.name == param_name) return &p;
  }
  return nullptr;
}

}  // namespace mlpipe::spec
