#include "mlpipe/metadata/run_condition_sql.h"

#include <fmt/format.h>

namespace mlpipe::metadata {
namespace {

std::string_view RunConditionOperator(RunCondition::Op op) {
  switch (op) {
    case RunCondition::Op::kEq:
      return "=";
    case RunCondition::Op::kNe:
      return "<>";
    case RunCondition::Op::kLt:
      return "<";
    case RunCondition::Op::kLe:
      return "<=";
    case RunCondition::Op::kGt:
      return ">";
    case RunCondition::Op::kGe:
      return ">=";
  }
  return "=";
}

std::string ParamConditionSql(const RunCondition& c, SqlDialect dialect,
                              const std::function<std::string(const SqlValue&)>& placeholder) {
  const std::string_view op = RunConditionOperator(c.op);
  if (dialect == SqlDialect::kSqlite) {
    // The key is a param name (letters, digits, '_', '-'): safe inside a
    // quoted JSON path member, which is still bound, not spliced.
    const std::string path = placeholder(fmt::format("$.\"{}\"", c.key));
    const std::string type = fmt::format("json_type(runs.params_json, {})", path);
    const std::string value = fmt::format("json_extract(runs.params_json, {})", path);
    if (const bool* b = std::get_if<bool>(&c.value)) {
      const bool want = c.op == RunCondition::Op::kEq ? *b : !*b;
      return fmt::format("{} = '{}'", type, want ? "true" : "false");
    }
    if (const double* d = std::get_if<double>(&c.value)) {
      return fmt::format("{} IN ('integer', 'real') AND {} {} {}", type, value, op, placeholder(*d));
    }
    return fmt::format("{} = 'text' AND {} {} {}", type, value, op,
                       placeholder(std::get<std::string>(c.value)));
  }
  const std::string key = placeholder(c.key);
  const std::string node = fmt::format("(runs.params_json::jsonb -> {}::text)", key);
  if (const bool* b = std::get_if<bool>(&c.value)) {
    const bool want = c.op == RunCondition::Op::kEq ? *b : !*b;
    return fmt::format("{} = '{}'::jsonb", node, want ? "true" : "false");
  }
  const std::string text = fmt::format("(runs.params_json::jsonb ->> {}::text)", key);
  if (const double* d = std::get_if<double>(&c.value)) {
    // CASE, not AND: PostgreSQL may evaluate the cast before the type test.
    return fmt::format("CASE WHEN jsonb_typeof({}) = 'number' THEN {}::float8 {} {}::float8 ELSE false END",
                       node, text, op, placeholder(*d));
  }
  return fmt::format("jsonb_typeof({}) = 'string' AND {} {} {}::text", node, text, op,
                     placeholder(std::get<std::string>(c.value)));
}

// A metric row `m` is final when no row of the same execution and name comes
// after it in RunMetrics' order (iteration, a single value first, then
// insertion).
std::string FinalMetricSql(SqlDialect dialect) {
  constexpr std::string_view kNoIteration = "-9223372036854775807";
  return fmt::format(
      "NOT EXISTS (SELECT 1 FROM metrics l WHERE l.run_id = m.run_id AND l.name = m.name AND "
      "l.execution_id {0} m.execution_id AND (COALESCE(l.step, {1}) > COALESCE(m.step, {1}) OR "
      "(COALESCE(l.step, {1}) = COALESCE(m.step, {1}) AND l.id > m.id)))",
      dialect == SqlDialect::kSqlite ? "IS" : "IS NOT DISTINCT FROM", kNoIteration);
}

std::string MetricConditionSql(const RunCondition& c, SqlDialect dialect,
                               const std::function<std::string(const SqlValue&)>& placeholder) {
  const std::string key = placeholder(c.key);
  const std::string value = placeholder(std::get<double>(c.value));
  // "STEP.NAME" also matches a metric named so; a key without a dot is only
  // ever a name, which lets the (run_id, name) index find it.
  auto named = [&](std::string_view step) {
    if (c.key.find('.') == std::string::npos) return fmt::format("m.name = {}", key);
    return fmt::format("(m.name = {0} OR {1}.step || '.' || m.name = {0})", key, step);
  };
  const std::string compare =
      fmt::format("m.value {} {} AND {}", RunConditionOperator(c.op), value, FinalMetricSql(dialect));
  return fmt::format(
      "EXISTS (SELECT 1 FROM metrics m LEFT JOIN executions e ON e.id = m.execution_id "
      "WHERE m.run_id = runs.id AND {} AND {}) OR "
      "EXISTS (SELECT 1 FROM executions c JOIN metrics m ON m.execution_id = c.reused_from "
      "WHERE c.run_id = runs.id AND c.status = 'cached' AND {} AND {})",
      named("e"), compare, named("c"), compare);
}

}  // namespace

std::string RunConditionsSql(const std::vector<RunCondition>& conditions, SqlDialect dialect,
                             const std::function<std::string(const SqlValue&)>& placeholder) {
  std::string sql;
  for (const RunCondition& c : conditions) {
    sql += fmt::format(" AND ({})", c.field == RunCondition::Field::kParam
                                        ? ParamConditionSql(c, dialect, placeholder)
                                        : MetricConditionSql(c, dialect, placeholder));
  }
  return sql;
}

}  // namespace mlpipe::metadata
