#include "mlpipe/ml/components/param_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/number.h"

namespace mlpipe::ml::components {
namespace {

const nlohmann::json* Known(const nlohmann::json& params, const std::string& name) {
  if (!params.is_object()) return nullptr;
  auto it = params.find(name);
  if (it == params.end() || it->is_null()) return nullptr;
  return &*it;
}

// "a, b or c"
std::string Alternatives(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i].empty() ? "\"\"" : words[i];
  }
  return out;
}

// A bound or a value as people write it: 10000000, not 1e+07.
std::string Shown(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
  return data::FormatNumber(v);
}

}  // namespace

std::optional<std::string> ParamCheck::StringIn(const nlohmann::json& params, const std::string& name) {
  const nlohmann::json* v = Known(params, name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::optional<double> ParamCheck::Number(const std::string& name) const {
  const nlohmann::json* v = Known(params_, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) return v->get<double>();
  double x = 0;
  if (v->is_string() && data::ParseNumber(v->get<std::string>(), &x)) return x;
  return std::nullopt;
}

std::optional<bool> ParamCheck::Bool(const std::string& name) const {
  const nlohmann::json* v = Known(params_, name);
  if (v == nullptr) return std::nullopt;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return std::nullopt;
}

const BuiltinUpstream* ParamCheck::Upstream(const std::string& input, const std::string& builtin) const {
  auto it = upstream_.find(input);
  if (it == upstream_.end() || it->second.builtin != builtin) return nullptr;
  return &it->second;
}

void ParamCheck::OneOf(const std::string& name, const std::vector<std::string>& allowed) {
  std::optional<std::string> v = String(name);
  if (!v || std::find(allowed.begin(), allowed.end(), *v) != allowed.end()) return;
  std::string close = ClosestMatch(*v, allowed);
  Fail(name, fmt::format("param '{}' must be {}, got '{}'", name, Alternatives(allowed), *v),
       close.empty() ? "" : fmt::format("did you mean '{}'?", close));
}

void ParamCheck::InRange(const std::string& name, const Bounds& b) {
  std::optional<double> v = Number(name);
  if (!v) return;
  const bool low = b.lo && (b.lo_open ? !(*v > *b.lo) : !(*v >= *b.lo));
  const bool high = b.hi && (b.hi_open ? !(*v < *b.hi) : !(*v <= *b.hi));
  if (!low && !high && std::isfinite(*v)) return;
  std::string want;
  if (b.lo && b.hi) {
    want = fmt::format("in {}{}, {}{}", b.lo_open ? "(" : "[", Shown(*b.lo), Shown(*b.hi),
                       b.hi_open ? ")" : "]");
  } else if (b.lo) {
    want = fmt::format("{} {}", b.lo_open ? ">" : ">=", Shown(*b.lo));
  } else {
    want = fmt::format("{} {}", b.hi_open ? "<" : "<=", Shown(*b.hi));
  }
  Fail(name, fmt::format("param '{}' must be {}, got {}", name, want, Shown(*v)));
}

void ParamCheck::Fail(const std::string& param, std::string message, std::string hint) {
  problems_.push_back(ParamProblem{param, std::move(message), std::move(hint)});
}

}  // namespace mlpipe::ml::components
