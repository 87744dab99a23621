#include "mlpipe/data/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mlpipe::data {

std::vector<double> EqualWidthEdges(double min, double max, size_t bins) {
  bins = std::max<size_t>(bins, 1);
  std::vector<double> edges(bins + 1);
  const double width = (max - min) / static_cast<double>(bins);
  for (size_t i = 0; i <= bins; ++i) edges[i] = min + width * static_cast<double>(i);
  edges[bins] = max;
  return edges;
}

size_t Histogram::BinOf(double v) const {
  if (counts.empty()) return 0;
  // upper_bound over interior edges: bin i covers [edges[i], edges[i+1]).
  auto it = std::upper_bound(edges.begin() + 1, edges.end() - 1, v);
  return static_cast<size_t>(it - (edges.begin() + 1));
}

namespace {

// Fraction at index i (i < 0: 0) or, for a continuous sketch, interpolated
// between points i and i + 1 at x.
double CdfValue(const Cdf& c, std::ptrdiff_t i, double x) {
  if (i < 0) return 0;
  size_t k = static_cast<size_t>(i);
  if (c.discrete || k + 1 >= c.values.size()) return c.fractions[k];
  double w = c.values[k + 1] - c.values[k];
  double t = w > 0 ? (x - c.values[k]) / w : 1;
  return c.fractions[k] + (c.fractions[k + 1] - c.fractions[k]) * t;
}

}  // namespace

double Cdf::At(double x) const {
  if (values.empty()) return 0;
  auto it = std::upper_bound(values.begin(), values.end(), x);
  return CdfValue(*this, (it - values.begin()) - 1, x);
}

double Cdf::Before(double x) const {
  if (values.empty()) return 0;
  auto it = std::lower_bound(values.begin(), values.end(), x);
  return CdfValue(*this, (it - values.begin()) - 1, x);
}

const ColumnStats* TableStats::Find(std::string_view name) const {
  for (const auto& c : columns) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

double SortedQuantile(const std::vector<double>& v, double p) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  double pos = p * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  double frac = pos - static_cast<double>(lo);
  return v[lo] + (v[hi] - v[lo]) * frac;
}

namespace {

void FillNumeric(std::vector<double> v, const StatsOptions& o, NumericStats* s) {
  if (v.empty()) return;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  s->mean = sum / static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s->mean) * (x - s->mean);
  s->std = std::sqrt(ss / static_cast<double>(v.size()));
  s->min = v.front();
  s->max = v.back();
  for (size_t i = 0; i < kQuantileProbs.size(); ++i) s->quantiles[i] = SortedQuantile(v, kQuantileProbs[i]);
  Histogram& h = s->histogram;
  h.edges = EqualWidthEdges(s->min, s->max, o.histogram_bins);
  h.counts.assign(h.edges.size() - 1, 0);
  for (double x : v) ++h.counts[h.BinOf(x)];
  // CDF sketch.
  Cdf& cdf = s->cdf;
  size_t distinct = 1;
  for (size_t i = 1; i < v.size() && distinct <= kMaxCdfPoints; ++i) distinct += v[i] != v[i - 1] ? 1 : 0;
  const double n = static_cast<double>(v.size());
  if (distinct <= kMaxCdfPoints) {
    cdf.discrete = true;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i + 1 == v.size() || v[i + 1] != v[i]) {
        cdf.values.push_back(v[i]);
        cdf.fractions.push_back(static_cast<double>(i + 1) / n);
      }
    }
  } else {
    for (int k = 0; k <= 100; ++k) {
      cdf.values.push_back(SortedQuantile(v, k / 100.0));
      cdf.fractions.push_back(k / 100.0);
    }
  }
}

}  // namespace

ColumnStats ComputeColumnStats(const Column& col, const StatsOptions& o) {
  ColumnStats s;
  s.name = col.name();
  s.type = col.type();
  const size_t n = col.size();
  switch (col.type()) {
    case ColumnType::kNumeric:
    case ColumnType::kDate: {
      std::vector<double> v;
      v.reserve(n);
      for (size_t r = 0; r < n; ++r) {
        if (col.IsMissing(r)) continue;
        v.push_back(col.type() == ColumnType::kNumeric ? col.number(r) : col.day(r));
      }
      s.count = v.size();
      FillNumeric(std::move(v), o, &s.numeric);
      break;
    }
    case ColumnType::kCategorical: {
      std::vector<uint64_t> counts(col.dictionary().size(), 0);
      for (int32_t c : col.codes()) {
        if (c >= 0) ++counts[c];
      }
      std::vector<size_t> order;
      for (size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] > 0) order.push_back(i);
        s.count += counts[i];
      }
      const auto& dict = col.dictionary();
      std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return counts[a] != counts[b] ? counts[a] > counts[b] : dict[a] < dict[b];
      });
      s.categorical.distinct = order.size();
      uint64_t kept = 0;
      for (size_t k = 0; k < order.size() && k < o.max_top_categories; ++k) {
        s.categorical.top.emplace_back(dict[order[k]], counts[order[k]]);
        kept += counts[order[k]];
      }
      s.categorical.other_count = s.count - kept;
      break;
    }
  }
  s.missing = n - s.count;
  s.missing_rate = n == 0 ? 0 : static_cast<double>(s.missing) / static_cast<double>(n);
  return s;
}

TableStats ComputeStats(const Table& table, const StatsOptions& o) {
  TableStats t;
  t.num_rows = table.num_rows();
  for (const Column& c : table.columns()) t.columns.push_back(ComputeColumnStats(c, o));
  return t;
}

}  // namespace mlpipe::data
