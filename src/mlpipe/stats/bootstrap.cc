#include "mlpipe/stats/bootstrap.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "mlpipe/stats/rng.h"

namespace mlpipe::stats {

nlohmann::json BootstrapInterval::ToJson() const {
  return {{"estimate", estimate},    {"lo", lo},           {"hi", hi},
          {"resamples", resamples},  {"skipped", skipped}, {"seed", seed},
          {"confidence", confidence}};
}

double SortedQuantile(const std::vector<double>& sorted, double q) {
  if (!(q > 0)) return sorted.front();  // also NaN: never a NaN index
  if (!(q < 1)) return sorted.back();
  const double position = q * static_cast<double>(sorted.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  if (below + 1 >= sorted.size()) return sorted.back();
  const double t = position - static_cast<double>(below);
  return sorted[below] + (sorted[below + 1] - sorted[below]) * t;
}

StatusOr<BootstrapInterval> PairedBootstrap(size_t n, const RowDelta& delta,
                                            const BootstrapOptions& options) {
  if (n == 0) return InvalidArgumentError("paired bootstrap: no rows");
  if (n > std::numeric_limits<uint32_t>::max()) {
    return InvalidArgumentError(fmt::format("paired bootstrap: {} rows, more than 2^32 - 1", n));
  }
  if (options.resamples < 100) {
    return InvalidArgumentError(
        fmt::format("paired bootstrap: {} resamples; at least 100 are needed for a percentile interval",
                    options.resamples));
  }
  if (!(options.confidence > 0 && options.confidence < 1)) {
    return InvalidArgumentError(
        fmt::format("paired bootstrap: confidence {} is not in (0, 1) (e.g. 0.95)", options.confidence));
  }
  BootstrapInterval result;
  result.seed = options.seed;
  result.confidence = options.confidence;

  std::vector<uint32_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0u);
  result.estimate = delta(rows);
  if (!std::isfinite(result.estimate)) {
    return InvalidArgumentError("paired bootstrap: the delta is undefined on the original rows");
  }

  SeededRng rng(options.seed);
  std::vector<double> deltas;
  deltas.reserve(static_cast<size_t>(options.resamples));
  for (int r = 0; r < options.resamples; ++r) {
    for (auto& row : rows) row = static_cast<uint32_t>(rng.Below(n));
    const double d = delta(rows);
    if (std::isfinite(d)) {
      deltas.push_back(d);
    } else {
      ++result.skipped;
    }
  }
  result.resamples = static_cast<int>(deltas.size());
  if (2 * result.resamples < options.resamples) {
    return InvalidArgumentError(fmt::format(
        "paired bootstrap: the delta is undefined in {} of {} resamples (e.g. ROC AUC on rows of one class); "
        "more test rows are needed",
        result.skipped, options.resamples));
  }
  std::sort(deltas.begin(), deltas.end());
  const double tail = (1 - options.confidence) / 2;
  result.lo = SortedQuantile(deltas, tail);
  result.hi = SortedQuantile(deltas, 1 - tail);
  return result;
}

}  // namespace mlpipe::stats
