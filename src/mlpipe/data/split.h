// Train/test(/validation) splits of a table: random, stratified by a column,
// or by time. Seeded and reproducible on every platform: the shuffle is our
// own Fisher-Yates over std::mt19937_64's raw output (no std::shuffle or
// std::uniform_int_distribution, whose results differ between libraries).
//
// Sizes: random and stratified take n_test = ceil(test_fraction * n) and
// n_validation = ceil(validation_fraction * n) rows (as scikit-learn);
// time takes n_test = round(test_fraction * n), the newest rows.
// Stratified: each class is shuffled separately and contributes its share
// (largest remainder), so class rates in every part match within one row per
// class. Time: stable sort by the column (numeric or date; missing first =
// oldest); oldest rows -> train, then validation, newest -> test.
// Row indices in each part are returned in ascending order (file order).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/table.h"

namespace mlpipe::data {

enum class SplitMethod { kRandom, kStratified, kTime };
const char* SplitMethodName(SplitMethod m);  // "random", "stratified", "time"
StatusOr<SplitMethod> ParseSplitMethod(std::string_view name);

struct SplitOptions {
  SplitMethod method = SplitMethod::kRandom;
  double test_fraction = 0.2;        // in (0, 1)
  double validation_fraction = 0.0;  // in [0, 1); test + validation < 1
  uint64_t seed = 42;
  std::string column;  // kStratified: the class column; kTime: the time column
};

struct SplitIndices {
  std::vector<size_t> train, validation, test;
};

struct TableSplit {
  Table train, validation, test;  // validation has 0 rows if not asked for
};

// InvalidArgument for bad fractions, too few rows to give every part a row,
// a missing or unsuitable column (NotFound with did-you-mean if absent).
StatusOr<SplitIndices> SplitRows(const Table& table, const SplitOptions& options);
StatusOr<TableSplit> SplitTable(const Table& table, const SplitOptions& options);

// Fisher-Yates shuffle of `v` driven by std::mt19937_64(seed) raw output with
// rejection sampling: identical on every platform.
void ShuffleIndices(std::vector<size_t>* v, uint64_t seed);

}  // namespace mlpipe::data
