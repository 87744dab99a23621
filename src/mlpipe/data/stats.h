// Per-column statistics of a table: the "reference statistics" artifact that
// validation and drift detection (validate.h, drift.h) compare new data with.
//
// For every column: count (non-missing), missing count and rate.
//   numeric (and date, computed on day numbers): mean, std (population),
//     min, max, quantiles p01 p05 p25 p50 p75 p95 p99 (linear interpolation,
//     as numpy's default), and a histogram of `histogram_bins` equal-width bins
//     between min and max (edges stored; the last bin includes max), and a
//     CDF sketch (exact for at most 256 distinct values, else percentiles).
//   categorical: distinct count and the most frequent categories with counts
//     (at most `max_top_categories`, by count then by string), plus the count
//     of values outside that list.
// Pure functions; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"
#include "mlpipe/data/table.h"

namespace mlpipe::data {

inline constexpr std::array<double, 7> kQuantileProbs = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99};
// "p01", "p05", ... "p99", parallel to kQuantileProbs.
inline constexpr std::array<const char*, 7> kQuantileNames = {"p01", "p05", "p25", "p50", "p75", "p95", "p99"};

struct Histogram {
  std::vector<double> edges;     // bins + 1 increasing edges (all equal if min == max)
  std::vector<uint64_t> counts;  // bins counts
  // Bin index of v: below the first edge -> 0, above the last -> last bin.
  size_t BinOf(double v) const;
};

// The bins + 1 edges of `bins` (at least 1) equal-width bins from min to max,
// the last exactly max: ComputeStats' histograms, and the model server's
// prediction histogram rebuilt from a schema's min and max.
std::vector<double> EqualWidthEdges(double min, double max, size_t bins);

// An approximation of the cumulative distribution, for the KS statistic.
// discrete (at most kMaxCdfPoints distinct values): every distinct value with
// the exact fraction of values <= it (a step function). Otherwise the 101
// percentiles p0..p100 with fractions 0, 0.01, ..., 1, linear in between.
inline constexpr size_t kMaxCdfPoints = 256;
struct Cdf {
  bool discrete = false;
  std::vector<double> values;     // increasing (continuous: non-decreasing)
  std::vector<double> fractions;  // parallel to values, ending at 1
  double At(double x) const;      // P(X <= x)
  double Before(double x) const;  // P(X < x)
};

struct NumericStats {
  double mean = 0, std = 0, min = 0, max = 0;
  std::array<double, 7> quantiles{};  // kQuantileProbs
  Histogram histogram;
  Cdf cdf;
};

struct CategoricalStats {
  uint64_t distinct = 0;
  std::vector<std::pair<std::string, uint64_t>> top;  // most frequent first
  uint64_t other_count = 0;                          // non-missing values not in `top`
};

struct ColumnStats {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
  uint64_t count = 0;    // non-missing values
  uint64_t missing = 0;
  double missing_rate = 0;  // missing / rows (0 for an empty table)
  NumericStats numeric;          // kNumeric and kDate (dates as days since 1970-01-01)
  CategoricalStats categorical;  // kCategorical
};

struct TableStats {
  uint64_t num_rows = 0;
  std::vector<ColumnStats> columns;
  // The column named `name`, or nullptr.
  const ColumnStats* Find(std::string_view name) const;
};

struct StatsOptions {
  size_t histogram_bins = 20;         // default 20
  size_t max_top_categories = 1000;   // default 1000
};

TableStats ComputeStats(const Table& table, const StatsOptions& options = {});
ColumnStats ComputeColumnStats(const Column& column, const StatsOptions& options = {});

// Quantile of sorted values with linear interpolation (numpy default); NaN if empty.
double SortedQuantile(const std::vector<double>& sorted, double p);

// JSON form: {"format": "mlpipe.stats", "version": 1, "num_rows": N,
// "columns": [{"name", "type", "count", "missing", "missing_rate",
// "mean", "std", "min", "max", "quantiles": {"p01": ...}, "histogram":
// {"edges": [...], "counts": [...]}, "cdf": {"discrete", "values",
// "fractions"}} or {..., "distinct", "top": [[value,
// count], ...], "other_count"}]}.
nlohmann::json StatsToJson(const TableStats& stats);
// InvalidArgument naming the bad key for a malformed document.
StatusOr<TableStats> StatsFromJson(const nlohmann::json& j);
Status SaveStats(const TableStats& stats, const std::string& path);
StatusOr<TableStats> LoadStats(const std::string& path);

}  // namespace mlpipe::data
