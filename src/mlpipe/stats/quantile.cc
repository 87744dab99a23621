#include "mlpipe/stats/quantile.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace mlpipe::stats {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The cumulative counts made monotonic, or nothing when the histogram is not one (see the header).
std::optional<std::vector<double>> CheckedCumulative(const std::vector<double>& upper_bounds,
                                                     const std::vector<double>& cumulative) {
  if (upper_bounds.size() != cumulative.size() || upper_bounds.size() < 2) return std::nullopt;
  if (!(upper_bounds.back() == std::numeric_limits<double>::infinity())) return std::nullopt;
  std::vector<double> counts(cumulative.size());
  double running = 0;
  for (size_t i = 0; i < cumulative.size(); ++i) {
    if (!(cumulative[i] >= 0) || std::isinf(cumulative[i])) return std::nullopt;
    if (i > 0 && !(upper_bounds[i] > upper_bounds[i - 1])) return std::nullopt;
    running = std::max(running, cumulative[i]);
    counts[i] = running;
  }
  if (std::isnan(upper_bounds.front())) return std::nullopt;
  return counts;
}

// The lower bound of bucket b: the previous bound, or 0 for a first bucket with a positive bound.
double LowerBound(const std::vector<double>& upper_bounds, size_t b) {
  return b > 0 ? upper_bounds[b - 1] : std::min(0.0, upper_bounds[0]);
}

}  // namespace

double HistogramQuantile(const std::vector<double>& upper_bounds, const std::vector<double>& cumulative,
                         double q) {
  auto counts = CheckedCumulative(upper_bounds, cumulative);
  if (!counts || !(q >= 0 && q <= 1) || !(counts->back() > 0)) return kNaN;
  double rank = q * counts->back();
  const size_t last = counts->size() - 1;
  const size_t b =
      static_cast<size_t>(std::find_if(counts->begin(), counts->begin() + static_cast<ptrdiff_t>(last),
                                       [&](double c) { return c >= rank; }) -
                          counts->begin());
  if (b == last) return upper_bounds[last - 1];
  if (b == 0 && upper_bounds[0] <= 0) return upper_bounds[0];
  const double lower = LowerBound(upper_bounds, b);
  double in_bucket = (*counts)[b];
  if (b > 0) {
    in_bucket -= (*counts)[b - 1];
    rank -= (*counts)[b - 1];
  }
  return lower + (upper_bounds[b] - lower) * (rank / in_bucket);
}

double HistogramCountAbove(const std::vector<double>& upper_bounds, const std::vector<double>& cumulative,
                           double threshold) {
  auto counts = CheckedCumulative(upper_bounds, cumulative);
  if (!counts || std::isnan(threshold)) return kNaN;
  const double total = counts->back();
  const size_t last = counts->size() - 1;
  if (threshold >= upper_bounds[last - 1]) return total - (*counts)[last - 1];
  // The bucket holding threshold: the first whose upper bound is above it (lower < threshold < upper, or
  // threshold <= lower for the first bucket).
  const size_t b = static_cast<size_t>(std::upper_bound(upper_bounds.begin(), upper_bounds.end(), threshold) -
                                       upper_bounds.begin());
  const double before = b > 0 ? (*counts)[b - 1] : 0;
  const double in_bucket = (*counts)[b] - before;
  const double lower = LowerBound(upper_bounds, b);
  double share_above = 1;  // threshold at or below the bucket's lower bound
  if (threshold > lower) share_above = (upper_bounds[b] - threshold) / (upper_bounds[b] - lower);
  return total - (*counts)[b] + in_bucket * share_above;
}

}  // namespace mlpipe::stats
