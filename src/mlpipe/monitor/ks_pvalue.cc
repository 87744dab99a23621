#include "mlpipe/monitor/ks_pvalue.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <vector>

namespace mlpipe::monitor {
namespace {

// P(D < d): the share of lattice paths from (0, 0) to (n, m) that keep
// |i m - j n| < d n m at every point. A path is a uniformly random
// interleaving of the two sorted samples, so from (i, j) it steps to
// (i + 1, j) with probability (n - i) / (n - i + m - j). Probabilities stay
// in [0, 1]: no overflow of path counts for any n, m.
double ExactInside(double d, uint64_t n, uint64_t m) {
  const double limit = d * static_cast<double>(n) * static_cast<double>(m);
  // |i m - j n| is an integer; `limit` carries the rounding error of d.
  auto inside = [&](uint64_t i, uint64_t j) {
    const double diff = std::fabs(static_cast<double>(i) * static_cast<double>(m) -
                                  static_cast<double>(j) * static_cast<double>(n));
    return diff < limit - 1e-6;
  };
  std::vector<double> row(m + 1, 0.0), next(m + 1, 0.0);
  row[0] = 1.0;
  uint64_t prev_lo = 0;  // where the previous row wrote into `row`
  for (uint64_t i = 0; i <= n; ++i) {
    // The band of j with |i m - j n| < limit, widened by one for rounding.
    const double center = static_cast<double>(i) * static_cast<double>(m) / static_cast<double>(n);
    const double half = limit / static_cast<double>(n);
    const uint64_t lo = static_cast<uint64_t>(std::max(0.0, std::floor(center - half)));
    const uint64_t hi = std::min<uint64_t>(m, static_cast<uint64_t>(std::max(0.0, std::ceil(center + half))));
    for (uint64_t j = lo; j <= hi; ++j) {
      if (!inside(i, j)) continue;  // a path that reaches here is outside: dropped
      const double p = row[j];
      if (p == 0) continue;
      const double rest = static_cast<double>((n - i) + (m - j));
      if (rest == 0) return p;  // (n, m) reached
      if (j < m) row[j + 1] += p * static_cast<double>(m - j) / rest;
      if (i < n) next[j] += p * static_cast<double>(n - i) / rest;
    }
    if (i == n) return 0;  // (n, m) is outside: cannot happen for d <= 1
    // `row` holds values in [prev_lo, hi + 1]; clear them so it can take
    // the row after next.
    std::fill(row.begin() + static_cast<std::ptrdiff_t>(std::min(prev_lo, lo)),
              row.begin() + static_cast<std::ptrdiff_t>(std::min(hi + 1, m)) + 1, 0.0);
    prev_lo = lo;
    std::swap(row, next);
  }
  return 0;  // not reached
}

}  // namespace

double KolmogorovSurvival(double x) {
  if (!(x > 0)) return 1.0;
  if (x < 1.18) {
    // The CDF's theta-function form converges fast for small x:
    // K(x) = sqrt(2 pi) / x * sum_k exp(-(2k - 1)^2 pi^2 / (8 x^2)).
    const double w = std::numbers::pi * std::numbers::pi / (8 * x * x);
    double sum = 0;
    for (int k = 1; k <= 8; ++k) sum += std::exp(-(2.0 * k - 1) * (2.0 * k - 1) * w);
    return std::clamp(1.0 - std::sqrt(2 * std::numbers::pi) / x * sum, 0.0, 1.0);
  }
  double sum = 0;
  for (int k = 1; k <= 100; ++k) {
    const double term = std::exp(-2.0 * k * k * x * x);
    sum += (k % 2 == 1 ? term : -term);
    if (term < 1e-17) break;
  }
  return std::clamp(2 * sum, 0.0, 1.0);
}

double KsPValue(double d, uint64_t n, uint64_t m, KsMethod method) {
  if (n == 0 || m == 0 || std::isnan(d)) return std::numeric_limits<double>::quiet_NaN();
  if (d <= 0) return 1.0;
  if (d > 1) return 0.0;
  const double en = static_cast<double>(n) * static_cast<double>(m) / static_cast<double>(n + m);
  const double root = std::sqrt(en);
  const double asymptotic = KolmogorovSurvival((root + 0.12 + 0.11 / root) * d);
  if (method == KsMethod::kAuto) {
    method = std::max(n, m) <= kKsExactMaxSize && asymptotic >= kKsExactMinPValue ? KsMethod::kExact
                                                                                  : KsMethod::kAsymptotic;
  }
  if (method == KsMethod::kExact) return std::clamp(1.0 - ExactInside(d, n, m), 0.0, 1.0);
  return asymptotic;
}

}  // namespace mlpipe::monitor
