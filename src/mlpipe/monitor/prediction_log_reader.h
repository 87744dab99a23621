// Reading a window of a deployment's prediction log (serving/prediction_log.h:
// daily JSON-lines files predictions-YYYYMMDD.jsonl and
// feedback-YYYYMMDD.jsonl, UTC days) for the monitors: the features of the
// rows predicted in [from, to) as a data::Table, each row's prediction
// beside it, and the feedback lines of the same span.
//
// The log is being appended to while it is read, and a crash can leave a
// line cut short: a last line without its newline is not read (it is still
// being written, or torn) and is counted, never an error. A line that is
// not a log line (bad JSON, no time, features and predictions of different
// lengths) is skipped and counted, with the first few named by file:line.
// Reads files only; thread-safe (no shared state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/data/table.h"

namespace mlpipe::monitor {

// One predicted row (a request with n rows gives n of these).
struct LoggedPrediction {
  std::string id;  // the request's id
  size_t row = 0;  // index within the request
  int64_t time_ns = 0;
  std::string variant;
  std::string version;
  bool shadow = false;
  std::string label;                  // classifiers: the predicted class
  std::vector<double> probabilities;  // classifiers: per class, in the model's class order
  double value = 0;                   // regression: the prediction
};

struct LogWindowOptions {
  int64_t from_ns = 0;  // inclusive
  int64_t to_ns = 0;    // exclusive
  // Shadow variants' lines (their predictions were not served): left out
  // unless true. Default false.
  bool include_shadow = false;
  std::string variant;  // only this variant's lines; "" = every variant
  // Column types by feature name (ColumnTypesOf(reference stats)); other
  // features are inferred: numbers only -> numeric, else categorical. A value
  // that does not fit its column's type (text in a numeric column, a bad
  // date) is read as missing.
  std::map<std::string, data::ColumnType> column_types;
};

// What was read and what was left out.
struct LogReadCounts {
  size_t files = 0;                   // files that existed in the span
  size_t lines = 0;                   // complete lines read
  size_t out_of_window = 0;           // lines with a time outside [from, to)
  size_t shadow = 0;                  // shadow lines left out
  size_t other_variant = 0;           // lines of other variants left out
  size_t malformed = 0;               // lines that are not log lines
  size_t unterminated = 0;            // last lines without a newline (being written, or torn)
  std::vector<std::string> problems;  // the first few malformed lines: "predictions-20261206.jsonl:17: ..."
};

struct PredictionWindow {
  data::Table features;  // one row per predicted row, columns in order of first appearance
  std::vector<LoggedPrediction> predictions;  // parallel to features' rows
  LogReadCounts counts;
};

struct FeedbackEntry {
  std::string id;  // the request's id
  int64_t time_ns = 0;
  std::string variant;
  std::string version;
  std::vector<nlohmann::json> labels;  // one per row of the request
};

struct FeedbackWindow {
  std::vector<FeedbackEntry> entries;
  LogReadCounts counts;
};

// The feature columns' types of a model package's reference statistics.
std::map<std::string, data::ColumnType> ColumnTypesOf(const data::TableStats& reference);

// `dir`: the deployment's log folder (serving::ServingLogDir). NotFound when
// it does not exist; InvalidArgument when to <= from; an unreadable file is
// an Internal error naming it.
StatusOr<PredictionWindow> ReadPredictionWindow(const std::string& dir, const LogWindowOptions& options);
// The feedback lines in [from, to); include_shadow and column_types do not apply.
StatusOr<FeedbackWindow> ReadFeedbackWindow(const std::string& dir, const LogWindowOptions& options);

}  // namespace mlpipe::monitor
