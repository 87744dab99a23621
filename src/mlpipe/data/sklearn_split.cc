#include "mlpipe/data/sklearn_split.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

namespace mlpipe::data {

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

// sklearn.model_selection._split._approximate_mode.
std::vector<int64_t> ApproximateMode(const std::vector<int64_t>& counts, int64_t n_draws,
                                     NumpyRandomState* rng) {
  int64_t total = std::accumulate(counts.begin(), counts.end(), int64_t{0});
  std::vector<double> continuous(counts.size()), remainder(counts.size());
  std::vector<int64_t> floored(counts.size());
  double floored_sum = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    continuous[i] =
        static_cast<double>(counts[i]) / static_cast<double>(total) * static_cast<double>(n_draws);
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

// np.unique's class index of each of `rows` in `col`, over the classes those
// rows have: numbers by value, anything else by its text.
StatusOr<std::vector<uint32_t>> ClassesOf(const Column& col, const std::vector<size_t>& rows,
                                          size_t* num_classes) {
  std::vector<uint32_t> y(rows.size());
  for (size_t r : rows) {
    if (col.IsMissing(r)) {
      return InvalidArgumentError(fmt::format(
          "stratify column '{}' has a missing value (data row {}); scikit-learn cannot stratify on it",
          col.name(), r + 1));
    }
  }
  if (col.type() == ColumnType::kNumeric) {
    std::map<double, uint32_t> classes;
    for (size_t r : rows) classes.emplace(col.number(r), 0);
    uint32_t next = 0;
    for (auto& [value, index] : classes) index = next++;
    for (size_t i = 0; i < rows.size(); ++i) y[i] = classes.at(col.number(rows[i]));
    *num_classes = classes.size();
    return y;
  }
  std::map<std::string, uint32_t> classes;
  for (size_t r : rows) classes.emplace(col.ValueToString(r), 0);
  uint32_t next = 0;
  for (auto& [value, index] : classes) index = next++;
  for (size_t i = 0; i < rows.size(); ++i) y[i] = classes.at(col.ValueToString(rows[i]));
  *num_classes = classes.size();
  return y;
}

// One train_test_split call over `rows` (positions into the table),
// returning table row indices.
StatusOr<SklearnSplit> SplitOnce(const std::vector<size_t>& rows, size_t n_test, const Column* stratify,
                                 const SplitOptions& o) {
  const uint32_t seed = static_cast<uint32_t>(o.seed);
  SklearnSplit positions;
  if (stratify == nullptr) {
    positions = SklearnShuffleSplit(rows.size(), n_test, seed, o.shuffle);
  } else {
    size_t k = 0;
    ASSIGN_OR_RETURN(std::vector<uint32_t> y, ClassesOf(*stratify, rows, &k));
    ASSIGN_OR_RETURN(positions, SklearnStratifiedSplit(y, k, n_test, seed));
  }
  for (size_t& p : positions.train) p = rows[p];
  for (size_t& p : positions.test) p = rows[p];
  return positions;
}

}  // namespace

SklearnSplit SklearnShuffleSplit(size_t n, size_t n_test, uint32_t seed, bool shuffle) {
  std::vector<size_t> order;
  if (shuffle) {
    NumpyRandomState rng(seed);
    order = rng.Permutation(n);
  } else {
    order.resize(n);
    std::iota(order.begin(), order.end(), 0);
  }
  SklearnSplit out;
  const auto test_end = order.begin() + static_cast<std::ptrdiff_t>(n_test);
  if (shuffle) {  // ShuffleSplit: test = permutation[:n_test], train = the rest
    out.test.assign(order.begin(), test_end);
    out.train.assign(test_end, order.end());
  } else {  // train = the first n_train rows, test = the last n_test
    const auto train_end = order.begin() + static_cast<std::ptrdiff_t>(n - n_test);
    out.train.assign(order.begin(), train_end);
    out.test.assign(train_end, order.end());
  }
  return out;
}

StatusOr<SklearnSplit> SklearnStratifiedSplit(const std::vector<uint32_t>& y, size_t num_classes,
                                              size_t n_test, uint32_t seed) {
  const int64_t n_train = static_cast<int64_t>(y.size()) - static_cast<int64_t>(n_test);
  std::vector<std::vector<size_t>> class_indices(num_classes);  // ascending rows per class
  for (size_t i = 0; i < y.size(); ++i) class_indices[y[i]].push_back(i);
  std::vector<int64_t> counts;
  for (const auto& rows : class_indices) counts.push_back(static_cast<int64_t>(rows.size()));
  if (*std::min_element(counts.begin(), counts.end()) < 2) {
    return InvalidArgumentError(
        "the least populated class has only 1 row, which is too few: scikit-learn's stratified split needs 2 "
        "per "
        "class");
  }
  if (n_train < static_cast<int64_t>(num_classes) || n_test < num_classes) {
    return InvalidArgumentError(
        fmt::format("a stratified split needs at least one row per class in each part: {} train and {} test "
                    "rows for {} classes",
                    n_train, n_test, num_classes));
  }
  NumpyRandomState rng(seed);
  std::vector<int64_t> n_i = ApproximateMode(counts, n_train, &rng);
  std::vector<int64_t> remaining(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) remaining[i] = counts[i] - n_i[i];
  std::vector<int64_t> t_i = ApproximateMode(remaining, static_cast<int64_t>(n_test), &rng);
  SklearnSplit out;
  for (size_t c = 0; c < counts.size(); ++c) {
    std::vector<size_t> perm = rng.Permutation(static_cast<size_t>(counts[c]));
    for (int64_t a = 0; a < n_i[c]; ++a) out.train.push_back(class_indices[c][perm[a]]);
    for (int64_t a = n_i[c]; a < n_i[c] + t_i[c]; ++a) out.test.push_back(class_indices[c][perm[a]]);
  }
  rng.Shuffle(&out.train);
  rng.Shuffle(&out.test);
  return out;
}

StatusOr<SplitIndices> SklearnSplitRows(const Table& table, const SplitOptions& o) {
  const size_t n = table.num_rows();
  if (o.method == SplitMethod::kTime) {
    return InvalidArgumentError("rng sklearn draws a random or stratified split; a time split draws nothing");
  }
  if (o.seed > 0xffffffffULL) {
    return InvalidArgumentError(
        fmt::format("rng sklearn needs a seed between 0 and 2^32 - 1 (numpy's RandomState), got {}", o.seed));
  }
  const Column* stratify = nullptr;
  if (o.method == SplitMethod::kStratified) {
    if (!o.shuffle)
      return InvalidArgumentError("a stratified split always shuffles (shuffle: false is random only)");
    ASSIGN_OR_RETURN(size_t ci, table.IndexOf(o.column));
    stratify = &table.column(ci);
  }
  // As Python computes them: no tolerance, so 0.7 * 10 rows gives 8.
  const size_t n_test = static_cast<size_t>(std::ceil(o.test_fraction * static_cast<double>(n)));
  const size_t n_valid = o.validation_fraction > 0
                             ? static_cast<size_t>(std::ceil(o.validation_fraction * static_cast<double>(n)))
                             : 0;
  if (n_test >= n || n_valid >= n - n_test) {
    return InvalidArgumentError(
        fmt::format("{} rows are too few: test takes {}{}, which leaves no training rows", n, n_test,
                    n_valid > 0 ? fmt::format(" and valid {}", n_valid) : ""));
  }
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  ASSIGN_OR_RETURN(SklearnSplit first, SplitOnce(all, n_test, stratify, o));
  SplitIndices out;
  out.test = std::move(first.test);
  if (n_valid == 0) {
    out.train = std::move(first.train);
    return out;
  }
  ASSIGN_OR_RETURN(SklearnSplit second, SplitOnce(first.train, n_valid, stratify, o));
  out.train = std::move(second.train);
  out.validation = std::move(second.test);
  return out;
}

}  // namespace mlpipe::data
