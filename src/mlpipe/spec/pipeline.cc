#include "mlpipe/spec/pipeline.h"

#include <fmt/format.h>

#include <deque>
#include <mutex>
#include <unordered_map>

namespace mlpipe::spec {
namespace {

// Every string an InternedString was made from, in order of first use.
// Never destroyed: an id stays valid for the whole process.
struct InternedTable {
  std::mutex mu;
  std::deque<std::string> strings{std::string()};      // id 0 is ""; a deque keeps references stable
  std::unordered_map<std::string_view, uint32_t> ids;  // views into `strings`
};

InternedTable& Interned() {
  static auto* table = new InternedTable();
  return *table;
}

}  // namespace

InternedString::InternedString(std::string_view text) {
  if (text.empty()) return;
  InternedTable& table = Interned();
  std::lock_guard<std::mutex> lock(table.mu);
  auto it = table.ids.find(text);
  if (it != table.ids.end()) {
    id_ = it->second;
    return;
  }
  id_ = static_cast<uint32_t>(table.strings.size());
  table.ids.emplace(table.strings.emplace_back(text), id_);
}

const std::string& InternedString::str() const {
  InternedTable& table = Interned();
  std::lock_guard<std::mutex> lock(table.mu);
  return table.strings[id_];
}

std::string SourceLocation::ToString() const {
  if (line <= 0) return file.str();
  return fmt::format("{}:{}:{}", file.str(), line, column);
}

std::string Diagnostic::ToString() const {
  std::string out = fmt::format("{}: error: {}", loc.ToString(), message);
  if (!hint.empty()) out += fmt::format("\n  hint: {}", hint);
  return out;
}

const char* SourceLinkName(SourceLink link) {
  switch (link) {
    case SourceLink::kAuto:
      return "auto";
    case SourceLink::kReflink:
      return "reflink";
    case SourceLink::kHardlink:
      return "hardlink";
    case SourceLink::kCopy:
      return "copy";
  }
  return "auto";
}

const char* ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "int";
    case ParamType::kFloat:
      return "float";
    case ParamType::kString:
      return "string";
    case ParamType::kBool:
      return "bool";
    case ParamType::kList:
      return "list";
  }
  return "?";
}

const std::string& StepSpec::builtin() const {
  static const std::string kNone;
  return component != nullptr ? component->builtin : kNone;
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
