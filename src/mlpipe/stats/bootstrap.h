// The paired bootstrap of a difference between two models scored on the same
// rows: the confidence interval behind a gate "B beats A by `by`" and behind
// `mlpipe ab`'s per-metric deltas.
//
// Paired: each resample draws n row indices with replacement and scores BOTH
// models on those same rows, so the interval reflects the variation of the
// difference, not of each metric alone (two models scored on one test split
// are strongly correlated; an unpaired interval would be several times
// wider). Percentile interval: the (1 - c)/2 and (1 + c)/2 quantiles of the
// resampled deltas, with numpy's default linear interpolation between order
// statistics (numpy.percentile(deltas, [2.5, 97.5]) at c = 0.95). It needs
// no variance formula, so it serves any metric the callers can compute on a
// subset of rows (ROC AUC, log loss, RMSE, ...).
//
// Reading a gate: with a higher-is-better metric and delta = metric(B) -
// metric(A), "B beats A by `by`" passes when lo > by, i.e. the whole interval
// lies above the required improvement. For a lower-is-better metric (log
// loss, RMSE) callers pass delta = metric(A) - metric(B) so that the same
// rule applies. A gate at c = 0.95 is a one-sided test at level 2.5 %.
//
// Determinism: the draws come from SeededRng(options.seed) in a fixed order
// (resample by resample, row by row), so the same n, delta and options give
// the same interval bit for bit on every platform. Pure; thread-safe if
// `delta` is.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::stats {

struct BootstrapOptions {
  int resamples = 1000;      // >= 100 (InvalidArgument otherwise)
  uint64_t seed = 1;         // recorded by callers
  double confidence = 0.95;  // two-sided percentile interval; in (0, 1)
};

struct BootstrapInterval {
  double estimate = 0;    // delta on the original rows
  double lo = 0, hi = 0;  // percentile interval at `confidence` (linear interpolation, like numpy's default)
  int resamples = 0;      // resamples whose delta was finite (a resample where a metric is undefined, e.g.
  int skipped = 0;        //   ROC AUC with one class present, is skipped and counted here)
  uint64_t seed = 0;
  double confidence = 0;
  // Every field; "seed" as a JSON unsigned integer.
  nlohmann::json ToJson() const;
};

// Row indices of one evaluation: each in [0, n), repeats allowed.
using RowDelta = std::function<double(const std::vector<uint32_t>&)>;

// `delta(rows)` computes (metric of B) - (metric of A) on the given row indices (each in [0, n), repeats
// allowed). It is called once with 0..n-1 for the estimate, then `resamples` times with n indices drawn with
// replacement by SeededRng(seed) (index i of a resample is SeededRng::Below(n), resamples in order).
// InvalidArgument: n == 0 or n > 2^32 - 1, bad options, a non-finite estimate, or fewer than half the
// resamples finite (the interval would describe a different population than the estimate).
StatusOr<BootstrapInterval> PairedBootstrap(size_t n, const RowDelta& delta, const BootstrapOptions& options);

// The q-quantile (q in [0, 1]; below or NaN: the first, above: the last) of `sorted` (ascending, non-empty)
// with linear interpolation between order statistics: numpy.quantile's default method ("linear", type 7 of
// Hyndman and Fan).
double SortedQuantile(const std::vector<double>& sorted, double q);

}  // namespace mlpipe::stats
