// The p-value of a two-sample Kolmogorov-Smirnov statistic: the probability,
// under the hypothesis that both samples come from one continuous
// distribution, of a statistic at least as large as `d` with sample sizes n
// and m.
//
// Two methods, as SciPy's `scipy.stats.ks_2samp`:
//   kExact        the exact distribution of the two-sample statistic: the
//                 share of the C(n+m, n) equally likely lattice paths from
//                 (0, 0) to (n, m) that reach |i/n - j/m| >= d, by dynamic
//                 programming over the band of paths that stay inside
//                 (O(d n m) time, O(m) memory). Computed as 1 - P(inside),
//                 so a p-value below about 1e-14 comes out as 0 or a
//                 rounding error of that size.
//   kAsymptotic   Kolmogorov's limiting distribution with the effective
//                 size en = n m / (n + m) and Stephens' small-sample
//                 correction: Q((sqrt(en) + 0.12 + 0.11 / sqrt(en)) d), with
//                 Q(x) = 2 sum_k (-1)^(k-1) exp(-2 k^2 x^2)
//                 (scipy.stats.kstwobign.sf). SciPy's `method='asymp'`
//                 evaluates the finite-n distribution kstwo.sf(d, round(en))
//                 instead; the corrected limit is within 1 % of it (relative)
//                 for p >= 1e-4 and en >= 20 (ks_pvalue_test.cc), where the
//                 uncorrected limit is off by up to 25 %.
//   kAuto         exact when max(n, m) <= kKsExactMaxSize (SciPy's own
//                 `method='auto'` rule), else asymptotic; and asymptotic
//                 too when that p-value is below kKsExactMinPValue: the
//                 exact one costs time in proportion to d (0.6 s for
//                 d = 0.5 at n = m = 10,000) and, that far out, says nothing
//                 more (both are far below any alpha).
// With tied values (discrete data) the true distribution is more
// concentrated, so either p-value errs on the large (conservative) side.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace mlpipe::monitor {

enum class KsMethod { kAuto, kExact, kAsymptotic };

inline constexpr uint64_t kKsExactMaxSize = 10000;
inline constexpr double kKsExactMinPValue = 1e-6;

// Kolmogorov's survival function Q(x) = P(K > x) of the limiting
// distribution (sqrt(n) D_n -> K); 1 for x <= 0.
double KolmogorovSurvival(double x);

// P(D >= d) for samples of sizes n and m. NaN when n or m is 0 or d is NaN;
// 1 for d <= 0; 0 for d > 1.
double KsPValue(double d, uint64_t n, uint64_t m, KsMethod method = KsMethod::kAuto);

}  // namespace mlpipe::monitor
