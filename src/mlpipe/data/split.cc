#include "mlpipe/data/split.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "mlpipe/data/sklearn_split.h"

namespace mlpipe::data {
namespace {

// Uniform integer in [0, bound) from the engine's raw 64-bit output, by
// rejection (no modulo bias, no library distribution).
uint64_t UniformBelow(std::mt19937_64& rng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    uint64_t x = rng();
    if (x < limit) return x % bound;
  }
}

void Shuffle(std::vector<size_t>* v, std::mt19937_64& rng) {
  for (size_t i = v->size(); i > 1; --i) {
    size_t j = static_cast<size_t>(UniformBelow(rng, i));
    std::swap((*v)[i - 1], (*v)[j]);
  }
}

// Splits `total` into parts proportional to `weights` that sum to `total`
// (largest remainder; ties to the earlier part).
std::vector<size_t> Apportion(size_t total, const std::vector<size_t>& weights, size_t weight_sum) {
  std::vector<size_t> out(weights.size());
  std::vector<std::pair<double, size_t>> rem;
  size_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    double exact = static_cast<double>(total) * static_cast<double>(weights[i]) / static_cast<double>(weight_sum);
    out[i] = static_cast<size_t>(std::floor(exact));
    given += out[i];
    rem.emplace_back(exact - static_cast<double>(out[i]), i);
  }
  std::stable_sort(rem.begin(), rem.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < total && k < rem.size(); ++k) {
    size_t i = rem[k].second;
    if (out[i] < weights[i]) {
      ++out[i];
      ++given;
    }
  }
  return out;
}

// Cuts `idx` in its order: train first, then validation, the last n_test
// rows test.
void CutInOrder(const std::vector<size_t>& idx, size_t n_val, size_t n_test, SplitIndices* out) {
  const auto train_end = idx.begin() + static_cast<std::ptrdiff_t>(idx.size() - n_test - n_val);
  const auto valid_end = train_end + static_cast<std::ptrdiff_t>(n_val);
  out->train.assign(idx.begin(), train_end);
  out->validation.assign(train_end, valid_end);
  out->test.assign(valid_end, idx.end());
}

}  // namespace

const char* SplitMethodName(SplitMethod m) {
  switch (m) {
    case SplitMethod::kRandom: return "random";
    case SplitMethod::kStratified: return "stratified";
    case SplitMethod::kTime: return "time";
  }
  return "?";
}

StatusOr<SplitMethod> ParseSplitMethod(std::string_view name) {
  if (name == "random") return SplitMethod::kRandom;
  if (name == "stratified") return SplitMethod::kStratified;
  if (name == "time") return SplitMethod::kTime;
  return InvalidArgumentError(
      fmt::format("unknown split method '{}' (expected random, stratified or time)", name));
}

const char* SplitRngName(SplitRng rng) { return rng == SplitRng::kSklearn ? "sklearn" : "mlpipe"; }

StatusOr<SplitRng> ParseSplitRng(std::string_view name) {
  if (name == "mlpipe") return SplitRng::kMlpipe;
  if (name == "sklearn") return SplitRng::kSklearn;
  return InvalidArgumentError(fmt::format("unknown split rng '{}' (expected mlpipe or sklearn)", name));
}

void ShuffleIndices(std::vector<size_t>* v, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Shuffle(v, rng);
}

StatusOr<SplitIndices> SplitRows(const Table& table, const SplitOptions& o) {
  const size_t n = table.num_rows();
  if (!(o.test_fraction > 0 && o.test_fraction < 1) ||
      !(o.validation_fraction >= 0 && o.validation_fraction < 1) ||
      o.test_fraction + o.validation_fraction >= 1) {
    return InvalidArgumentError(fmt::format(
        "split fractions must satisfy 0 < test ({}) and 0 <= validation ({}) and test + validation < 1",
        o.test_fraction, o.validation_fraction));
  }
  if (!o.shuffle && o.method != SplitMethod::kRandom) {
    return InvalidArgumentError(fmt::format(
        "a {} split cannot be unshuffled (shuffle: false is for random splits)", SplitMethodName(o.method)));
  }
  if (o.method != SplitMethod::kRandom && o.column.empty()) {
    return InvalidArgumentError(fmt::format("a {} split needs a column", SplitMethodName(o.method)));
  }
  if (o.rng == SplitRng::kSklearn) return SklearnSplitRows(table, o);
  const bool by_time = o.method == SplitMethod::kTime;
  auto count = [&](double f) {
    double x = f * static_cast<double>(n);
    return static_cast<size_t>(by_time ? std::llround(x) : std::ceil(x - 1e-9));
  };
  const size_t n_test = count(o.test_fraction);
  const size_t n_val = o.validation_fraction > 0 ? count(o.validation_fraction) : 0;
  if (n_test == 0 || n_test + n_val >= n || (o.validation_fraction > 0 && n_val == 0)) {
    return InvalidArgumentError(fmt::format("{} rows are too few for a split with test fraction {}{}", n,
                                            o.test_fraction,
                                            o.validation_fraction > 0
                                                ? fmt::format(" and validation fraction {}", o.validation_fraction)
                                                : ""));
  }
  const Column* col = nullptr;
  if (o.method != SplitMethod::kRandom) {
    ASSIGN_OR_RETURN(size_t ci, table.IndexOf(o.column));
    col = &table.column(ci);
  }

  SplitIndices out;
  std::mt19937_64 rng(o.seed);
  switch (o.method) {
    case SplitMethod::kRandom: {
      std::vector<size_t> idx(n);
      std::iota(idx.begin(), idx.end(), 0);
      if (!o.shuffle) {
        CutInOrder(idx, n_val, n_test, &out);
        break;
      }
      Shuffle(&idx, rng);
      out.test.assign(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(n_test));
      out.validation.assign(idx.begin() + static_cast<std::ptrdiff_t>(n_test),
                            idx.begin() + static_cast<std::ptrdiff_t>(n_test + n_val));
      out.train.assign(idx.begin() + static_cast<std::ptrdiff_t>(n_test + n_val), idx.end());
      break;
    }
    case SplitMethod::kStratified: {
      std::map<std::string, std::vector<size_t>> classes;  // sorted by class text: deterministic
      for (size_t r = 0; r < n; ++r) classes[col->ValueToString(r)].push_back(r);
      std::vector<size_t> sizes;
      for (const auto& [k, rows] : classes) sizes.push_back(rows.size());
      std::vector<size_t> test_share = Apportion(n_test, sizes, n);
      std::vector<size_t> rest(sizes.size());
      for (size_t i = 0; i < sizes.size(); ++i) rest[i] = sizes[i] - test_share[i];
      std::vector<size_t> val_share = Apportion(n_val, rest, n - n_test);
      size_t i = 0;
      for (auto& [k, rows] : classes) {
        Shuffle(&rows, rng);
        auto b = rows.begin();
        out.test.insert(out.test.end(), b, b + static_cast<std::ptrdiff_t>(test_share[i]));
        b += static_cast<std::ptrdiff_t>(test_share[i]);
        out.validation.insert(out.validation.end(), b, b + static_cast<std::ptrdiff_t>(val_share[i]));
        b += static_cast<std::ptrdiff_t>(val_share[i]);
        out.train.insert(out.train.end(), b, rows.end());
        ++i;
      }
      break;
    }
    case SplitMethod::kTime: {
      std::vector<size_t> idx(n);
      std::iota(idx.begin(), idx.end(), 0);
      auto missing = [&](size_t r) { return col->IsMissing(r); };
      if (col->type() == ColumnType::kCategorical) {
        std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
          if (missing(a) != missing(b)) return missing(a);
          return col->str(a) < col->str(b);
        });
      } else {
        std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
          if (missing(a) || missing(b)) return missing(a) && !missing(b);
          return col->type() == ColumnType::kNumeric ? col->number(a) < col->number(b) : col->day(a) < col->day(b);
        });
      }
      CutInOrder(idx, n_val, n_test, &out);
      break;
    }
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.validation.begin(), out.validation.end());
  std::sort(out.test.begin(), out.test.end());
  return out;
}

StatusOr<TableSplit> SplitTable(const Table& table, const SplitOptions& options) {
  ASSIGN_OR_RETURN(SplitIndices idx, SplitRows(table, options));
  TableSplit s;
  s.train = table.Take(idx.train);
  s.validation = table.Take(idx.validation);
  s.test = table.Take(idx.test);
  return s;
}

}  // namespace mlpipe::data
