#include "mlpipe/ml/sklearn_split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

namespace mlpipe::ml {

uint64_t NumpyRandomState::Interval(uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  uint64_t value;
  if (max <= 0xffffffffULL) {
    while ((value = (static_cast<uint64_t>(mt_()) & mask)) > max) {
    }
  } else {
    auto next64 = [&] { return (static_cast<uint64_t>(mt_()) << 32) | mt_(); };
    while ((value = (next64() & mask)) > max) {
    }
  }
  return value;
}

void NumpyRandomState::Shuffle(std::vector<size_t>* v) {
  for (size_t i = v->size(); i-- > 1;) {
    size_t j = static_cast<size_t>(Interval(i));
    std::swap((*v)[i], (*v)[j]);
  }
}

std::vector<size_t> NumpyRandomState::Permutation(size_t n) {
  std::vector<size_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  Shuffle(&v);
  return v;
}

namespace {

size_t NumTest(size_t n, double test_fraction) {
  return static_cast<size_t>(std::ceil(test_fraction * static_cast<double>(n)));
}

// sklearn.model_selection._split._approximate_mode.
std::vector<int64_t> ApproximateMode(const std::vector<int64_t>& counts, int64_t n_draws, NumpyRandomState* rng) {
  int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  std::vector<double> continuous(counts.size()), remainder(counts.size());
  std::vector<int64_t> floored(counts.size());
  double floored_sum = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    continuous[i] = static_cast<double>(counts[i]) / static_cast<double>(total) * static_cast<double>(n_draws);
    double f = std::floor(continuous[i]);
    floored[i] = static_cast<int64_t>(f);
    floored_sum += f;
    remainder[i] = continuous[i] - f;
  }
  int64_t need = static_cast<int64_t>(static_cast<double>(n_draws) - floored_sum);
  if (need > 0) {
    std::vector<double> values = remainder;
    std::sort(values.begin(), values.end(), std::greater<double>());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (double value : values) {
      std::vector<size_t> inds;
      for (size_t i = 0; i < remainder.size(); ++i) {
        if (remainder[i] == value) inds.push_back(i);
      }
      int64_t add_now = std::min<int64_t>(static_cast<int64_t>(inds.size()), need);
      std::vector<size_t> perm = rng->Permutation(inds.size());  // RandomState.choice(replace=False)
      for (int64_t a = 0; a < add_now; ++a) ++floored[inds[perm[a]]];
      need -= add_now;
      if (need == 0) break;
    }
  }
  return floored;
}

}  // namespace

SplitIndices SklearnShuffleSplit(size_t n, double test_fraction, uint32_t seed) {
  NumpyRandomState rng(seed);
  size_t n_test = NumTest(n, test_fraction);
  std::vector<size_t> perm = rng.Permutation(n);
  SplitIndices out;
  out.test.assign(perm.begin(), perm.begin() + n_test);
  out.train.assign(perm.begin() + n_test, perm.end());
  return out;
}

SplitIndices SklearnStratifiedSplit(const std::vector<std::string>& y, double test_fraction, uint32_t seed) {
  const size_t n = y.size();
  const int64_t n_test = static_cast<int64_t>(NumTest(n, test_fraction));
  const int64_t n_train = static_cast<int64_t>(n) - n_test;
  std::map<std::string, std::vector<size_t>> by_class;  // sorted classes, ascending row indices
  for (size_t i = 0; i < n; ++i) by_class[y[i]].push_back(i);
  std::vector<std::vector<size_t>> class_indices;
  std::vector<int64_t> counts;
  for (auto& [label, rows] : by_class) {
    counts.push_back(static_cast<int64_t>(rows.size()));
    class_indices.push_back(std::move(rows));
  }
  NumpyRandomState rng(seed);
  std::vector<int64_t> n_i = ApproximateMode(counts, n_train, &rng);
  std::vector<int64_t> remaining(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) remaining[i] = counts[i] - n_i[i];
  std::vector<int64_t> t_i = ApproximateMode(remaining, n_test, &rng);
  SplitIndices out;
  for (size_t c = 0; c < counts.size(); ++c) {
    std::vector<size_t> perm = rng.Permutation(static_cast<size_t>(counts[c]));
    for (int64_t a = 0; a < n_i[c]; ++a) out.train.push_back(class_indices[c][perm[a]]);
    for (int64_t a = n_i[c]; a < n_i[c] + t_i[c]; ++a) out.test.push_back(class_indices[c][perm[a]]);
  }
  rng.Shuffle(&out.train);
  rng.Shuffle(&out.test);
  return out;
}

}  // namespace mlpipe::ml
