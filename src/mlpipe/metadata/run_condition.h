// A condition on a run's recorded values: a resolved param or a final metric
// compared with a value (`params.lr = 0.1`, `metrics.accuracy > 0.9`). The
// server's runs list parses them from its `filter` parameter; each backend
// evaluates them in SQL (run_condition_sql.h), so a filtered page of runs
// never reads the runs that do not match.
#pragma once

#include <string>
#include <variant>

namespace mlpipe::metadata {

struct RunCondition {
  enum class Field { kParam, kMetric };
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };

  Field field = Field::kParam;
  // kParam: a param name (letters, digits, '_' and '-', as the spec allows).
  // kMetric: NAME (that metric of any step, or a run-level one) or STEP.NAME.
  std::string key;
  Op op = Op::kEq;
  // A number compares with numeric params and metrics; a string or a boolean
  // only with a param of that JSON type, and only with kEq or kNe. A run
  // without the param or metric never matches, whatever the operator (as in
  // MLflow's search: `!=` is "has it, with another value").
  std::variant<double, std::string, bool> value;
};

}  // namespace mlpipe::metadata
