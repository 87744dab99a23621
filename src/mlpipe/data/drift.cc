#include "mlpipe/data/drift.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace mlpipe::data {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

double Psi(const std::vector<double>& ref, const std::vector<double>& cur) {
  double psi = 0;
  for (size_t i = 0; i < ref.size() && i < cur.size(); ++i) {
    double r = std::max(ref[i], kPsiFloor);
    double c = std::max(cur[i], kPsiFloor);
    psi += (c - r) * std::log(c / r);
  }
  return psi;
}

double NumericPsi(const NumericStats& reference, const std::vector<double>& values) {
  const Histogram& h = reference.histogram;
  if (h.counts.empty() || values.empty()) return kNaN;
  double total = 0;
  for (uint64_t c : h.counts) total += static_cast<double>(c);
  if (total == 0) return kNaN;
  std::vector<double> ref(h.counts.size()), cur(h.counts.size(), 0);
  for (size_t i = 0; i < ref.size(); ++i) ref[i] = static_cast<double>(h.counts[i]) / total;
  for (double v : values) cur[h.BinOf(v)] += 1;
  for (double& c : cur) c /= static_cast<double>(values.size());
  return Psi(ref, cur);
}

double KsStatistic(const NumericStats& reference, std::vector<double> values) {
  const Cdf& ref = reference.cdf;
  if (ref.values.empty() || values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double m = static_cast<double>(values.size());
  auto cur_at = [&](double x) {
    return static_cast<double>(std::upper_bound(values.begin(), values.end(), x) - values.begin()) / m;
  };
  auto cur_before = [&](double x) {
    return static_cast<double>(std::lower_bound(values.begin(), values.end(), x) - values.begin()) / m;
  };
  // Both CDFs are right-continuous; between the jump points of either, the
  // current one is flat and the reference monotone, so the supremum is at a
  // jump point or its left limit.
  double d = 0;
  auto probe = [&](double x) {
    d = std::max(d, std::fabs(cur_at(x) - ref.At(x)));
    d = std::max(d, std::fabs(cur_before(x) - ref.Before(x)));
  };
  for (size_t i = 0; i < values.size(); ++i) {
    if (i == 0 || values[i] != values[i - 1]) probe(values[i]);
  }
  for (double v : ref.values) probe(v);
  return d;
}

double CategoricalPsi(const CategoricalStats& reference, uint64_t reference_count, const Column& current) {
  if (reference_count == 0) return kNaN;
  std::unordered_map<std::string_view, size_t> bucket;
  for (size_t i = 0; i < reference.top.size(); ++i) bucket.emplace(reference.top[i].first, i);
  const size_t other = reference.top.size();
  std::vector<double> ref(other + 1), cur(other + 1, 0);
  for (size_t i = 0; i < other; ++i) ref[i] = static_cast<double>(reference.top[i].second);
  ref[other] = static_cast<double>(reference.other_count);
  for (double& r : ref) r /= static_cast<double>(reference_count);
  // Map the current dictionary to buckets once, then count rows.
  std::vector<size_t> code_bucket;
  if (current.type() == ColumnType::kCategorical) {
    for (const auto& s : current.dictionary()) {
      auto it = bucket.find(s);
      code_bucket.push_back(it == bucket.end() ? other : it->second);
    }
  }
  double n = 0;
  for (size_t r = 0; r < current.size(); ++r) {
    if (current.IsMissing(r)) continue;
    size_t b;
    if (current.type() == ColumnType::kCategorical) {
      b = code_bucket[static_cast<size_t>(current.code(r))];
    } else {
      auto it = bucket.find(current.ValueToString(r));
      b = it == bucket.end() ? other : it->second;
    }
    cur[b] += 1;
    n += 1;
  }
  if (n == 0) return kNaN;
  for (double& c : cur) c /= n;
  return Psi(ref, cur);
}

}  // namespace mlpipe::data
