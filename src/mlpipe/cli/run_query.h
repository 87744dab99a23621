// `mlpipe runs list --sort FIELD [--asc] --filter EXPR`: ranking and
// selecting runs by a metric or a param, as MLflow's search does.
//
// A FIELD is a metric, `STEP.NAME` (the metric NAME of step STEP) or a bare
// `NAME` (the metric NAME of whichever step reports it; ambiguous, an error,
// when several steps of a run report it), optionally written
// `metrics.NAME`; or a param, `params.NAME`. A metric's value in a run is
// its final value (a curve: its last point), cached steps included
// (metadata/run_metrics.h). An EXPR is `FIELD OP VALUE` with OP one of >,
// >=, <, <=, ==, != (= means ==): metrics compare as numbers; params as
// numbers when both sides are numbers, else as text (== and != only). A run
// without the field never matches a filter, and sorts last.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::cli {

struct RunField {
  enum class Kind { kMetric, kParam };
  Kind kind = Kind::kMetric;
  std::string name;  // metric: "STEP.NAME" or "NAME"; param: NAME
  std::string text;  // as written, for messages and column titles
};

struct RunFilter {
  enum class Op { kGt, kGe, kLt, kLe, kEq, kNe };
  RunField field;
  Op op = Op::kEq;
  std::string value;             // as written, quotes removed
  std::optional<double> number;  // `value` when it is a number
  std::string text;              // the whole expression as written
};

// "metrics.auc", "params.depth", "evaluate.auc", "auc". InvalidArgument for
// an empty name.
StatusOr<RunField> ParseRunField(std::string_view text);

// InvalidArgument naming the expression and saying what is expected when it
// is not FIELD OP VALUE, or compares a metric with something not a number.
StatusOr<RunFilter> ParseRunFilter(std::string_view expr);

// What a run offers the query: its final metric values ("STEP.NAME" or
// "NAME" -> value) and its params (a JSON object).
struct RunValues {
  int64_t run = 0;
  std::map<std::string, double> metrics;
  nlohmann::json params = nlohmann::json::object();
};

// The value of `field` in `run` (a param as JSON; a metric as a number),
// null when the run has none. InvalidArgument for a bare metric name that
// several steps of the run report, naming them.
StatusOr<nlohmann::json> FieldValue(const RunField& field, const RunValues& run);

// Whether `run` matches `filter` (false when it has no such field).
StatusOr<bool> Matches(const RunFilter& filter, const RunValues& run);

}  // namespace mlpipe::cli
