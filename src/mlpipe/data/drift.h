// Drift measures between reference statistics (stats.h) and current data.
//
// PSI (population stability index) = sum over buckets of
//   (cur - ref) * ln(cur / ref), proportions floored at 1e-4 so empty buckets
//   stay finite. Numeric: the reference histogram's bins (values outside its
//   range go to the first/last bin). Categorical: the reference top
//   categories plus one "other" bucket (which also takes unseen categories).
//   Rule of thumb: < 0.1 stable, 0.1-0.2 moderate, > 0.2 significant.
// KS: the two-sample Kolmogorov-Smirnov statistic sup |F_cur - F_ref|, with
//   F_ref the reference CDF sketch (stats.h Cdf: exact for discrete data,
//   percentiles otherwise, so the error is at most about 0.01).
// Missing values are ignored by both. NaN when either side has no values.
// Pure functions; thread-safe.
#pragma once

#include <vector>

#include "mlpipe/data/stats.h"
#include "mlpipe/data/table.h"

namespace mlpipe::data {

inline constexpr double kPsiFloor = 1e-4;

// PSI of two bucket proportion vectors of the same length (each summing to
// 1), floored at kPsiFloor.
double Psi(const std::vector<double>& reference, const std::vector<double>& current);

// `values`: the current non-missing values (any order).
double NumericPsi(const NumericStats& reference, const std::vector<double>& values);
double KsStatistic(const NumericStats& reference, std::vector<double> values);
// PSI of a categorical column against reference category frequencies.
double CategoricalPsi(const CategoricalStats& reference, uint64_t reference_count, const Column& current);

}  // namespace mlpipe::data
