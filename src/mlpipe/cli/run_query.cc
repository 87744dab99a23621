#include "mlpipe/cli/run_query.h"

#include <fmt/format.h>

#include <charconv>

#include "mlpipe/base/strings.h"

namespace mlpipe::cli {
namespace {

using nlohmann::json;

constexpr std::string_view kExpected =
    "expected FIELD OP VALUE, e.g. 'evaluate.roc_auc>0.7' or 'params.max_depth==6', with OP one of "
    ">, >=, <, <=, ==, !=";

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string Unquote(std::string_view text) {
  if (text.size() >= 2 && (text.front() == '\'' || text.front() == '"') && text.back() == text.front()) {
    return std::string(text.substr(1, text.size() - 2));
  }
  return std::string(text);
}

// The first operator in `expr`: its position, length and kind.
struct FoundOp {
  size_t at = std::string_view::npos;
  size_t size = 0;
  RunFilter::Op op = RunFilter::Op::kEq;
};

FoundOp FindOp(std::string_view expr) {
  for (size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    const bool eq_next = i + 1 < expr.size() && expr[i + 1] == '=';
    if (c == '>') return {i, eq_next ? 2u : 1u, eq_next ? RunFilter::Op::kGe : RunFilter::Op::kGt};
    if (c == '<') return {i, eq_next ? 2u : 1u, eq_next ? RunFilter::Op::kLe : RunFilter::Op::kLt};
    if (c == '!' && eq_next) return {i, 2, RunFilter::Op::kNe};
    if (c == '=') return {i, eq_next ? 2u : 1u, RunFilter::Op::kEq};
  }
  return {};
}

bool Compare(double a, RunFilter::Op op, double b) {
  switch (op) {
    case RunFilter::Op::kGt:
      return a > b;
    case RunFilter::Op::kGe:
      return a >= b;
    case RunFilter::Op::kLt:
      return a < b;
    case RunFilter::Op::kLe:
      return a <= b;
    case RunFilter::Op::kEq:
      return a == b;
    case RunFilter::Op::kNe:
      return a != b;
  }
  return false;
}

}  // namespace

StatusOr<RunField> ParseRunField(std::string_view text) {
  std::string_view name = Trim(text);
  RunField field;
  field.text = std::string(name);
  if (StartsWith(name, "params.")) {
    field.kind = RunField::Kind::kParam;
    name.remove_prefix(7);
  } else if (StartsWith(name, "metrics.")) {
    name.remove_prefix(8);
  }
  if (name.empty()) {
    return InvalidArgumentError(fmt::format("'{}' names no metric or param", text));
  }
  field.name = std::string(name);
  return field;
}

StatusOr<RunFilter> ParseRunFilter(std::string_view expr) {
  FoundOp found = FindOp(expr);
  if (found.at == std::string_view::npos) {
    return InvalidArgumentError(fmt::format("--filter '{}': no comparison; {}", expr, kExpected));
  }
  std::string_view left = Trim(expr.substr(0, found.at));
  std::string_view right = Trim(expr.substr(found.at + found.size));
  const bool quoted = Unquote(right).size() + 2 == right.size();
  if (left.empty() || right.empty() || (!quoted && FindOp(right).at != std::string_view::npos)) {
    return InvalidArgumentError(fmt::format("--filter '{}': {}", expr, kExpected));
  }
  RunFilter filter;
  filter.text = std::string(expr);
  filter.op = found.op;
  auto field = ParseRunField(left);
  if (!field.ok())
    return InvalidArgumentError(fmt::format("--filter '{}': {}", expr, field.status().message()));
  filter.field = std::move(*field);
  filter.value = Unquote(right);
  filter.number = ParseNumber(filter.value);
  const bool ordering = filter.op != RunFilter::Op::kEq && filter.op != RunFilter::Op::kNe;
  if (filter.field.kind == RunField::Kind::kMetric && !filter.number) {
    return InvalidArgumentError(fmt::format(
        "--filter '{}': metrics are numbers, '{}' is not one (a param is params.NAME)", expr, right));
  }
  if (ordering && !filter.number) {
    return InvalidArgumentError(fmt::format("--filter '{}': {} compares numbers; '{}' is text (use == or !=)",
                                            expr, expr.substr(found.at, found.size), right));
  }
  return filter;
}

StatusOr<json> FieldValue(const RunField& field, const RunValues& run) {
  if (field.kind == RunField::Kind::kParam) {
    return run.params.contains(field.name) ? run.params[field.name] : json();
  }
  if (auto it = run.metrics.find(field.name); it != run.metrics.end()) return json(it->second);
  // A bare NAME: the metric NAME of the one step that reports it.
  std::vector<std::string> keys;
  double value = 0;
  for (const auto& [key, v] : run.metrics) {
    size_t dot = key.find('.');
    if (dot != std::string::npos && key.compare(dot + 1, std::string::npos, field.name) == 0) {
      keys.push_back(key);
      value = v;
    }
  }
  if (keys.size() > 1) {
    return InvalidArgumentError(
        fmt::format("metric '{}' is reported by {} steps of run {} ({}); write STEP.{}", field.name,
                    keys.size(), run.run, Join(keys, ", "), field.name));
  }
  return keys.empty() ? json() : json(value);
}

StatusOr<bool> Matches(const RunFilter& filter, const RunValues& run) {
  ASSIGN_OR_RETURN(json value, FieldValue(filter.field, run));
  if (value.is_null()) return false;
  if (value.is_number() && filter.number) return Compare(value.get<double>(), filter.op, *filter.number);
  if (value.is_boolean() && (filter.value == "true" || filter.value == "false")) {
    return Compare(value.get<bool>() ? 1 : 0, filter.op, filter.value == "true" ? 1 : 0);
  }
  // Text: only == and != (ParseRunFilter refuses ordering without a number).
  const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  if (filter.op == RunFilter::Op::kEq) return text == filter.value;
  if (filter.op == RunFilter::Op::kNe) return text != filter.value;
  return false;  // a number compared with a non-number value
}

}  // namespace mlpipe::cli
