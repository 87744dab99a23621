// The SQL of RunConditions, for both backends: one text per condition,
// ANDed into a `SELECT ... FROM runs WHERE ...` (the table is named `runs`, no
// alias). Values are never spliced into the text: each is handed to
// `placeholder`, which binds it and returns its placeholder (`?7`, `$3`).
#pragma once

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "mlpipe/metadata/run_condition.h"

namespace mlpipe::metadata {

enum class SqlDialect { kSqlite, kPostgres };

using SqlValue = std::variant<double, std::string>;

// " AND (...)" for each condition, in order.
//
// A param is read from runs.params_json (the resolved params, as listed)
// with the JSON functions of each database, typed: a number only matches a
// number. A metric matches when one of the run's final values (a single
// value, or the last point of a curve: what `runs show` lists) of that name
// compares true, whether the run's own execution recorded it or, for a step
// that was cached, the execution it reused (metadata/run_metrics.h).
std::string RunConditionsSql(const std::vector<RunCondition>& conditions, SqlDialect dialect,
                             const std::function<std::string(const SqlValue&)>& placeholder);

}  // namespace mlpipe::metadata
