// Train/test(/validation) splits of a table: random, stratified by a column,
// or by time. Seeded and reproducible on every platform.
//
// Two random number generators draw the random and stratified splits:
//   kMlpipe (default): our own Fisher-Yates over std::mt19937_64's raw output
//     (no std::shuffle or std::uniform_int_distribution, whose results differ
//     between libraries). It is not scikit-learn's: the same seed gives
//     other rows than Python does.
//     Sizes: n_test = ceil(test_fraction * n) and n_validation =
//     ceil(validation_fraction * n) rows. Stratified: each class is shuffled
//     separately and contributes its share (largest remainder), so class
//     rates in every part match within one row per class.
//   kSklearn: exactly the rows of scikit-learn's train_test_split for the
//     seed (sklearn_split.h), in its order; a validation part is a second
//     train_test_split of the remaining rows.
// Time: stable sort by the column (numeric or date; missing first = oldest),
// n_test = round(test_fraction * n): oldest rows -> train, then validation,
// newest -> test. Without shuffle (random only): the first rows train, then
// validation, the last test (scikit-learn's shuffle=False).
// Row indices in each part are in ascending order (file order), except with
// kSklearn, which keeps scikit-learn's order.
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

enum class SplitRng { kMlpipe, kSklearn };
const char* SplitRngName(SplitRng rng);  // "mlpipe", "sklearn"
StatusOr<SplitRng> ParseSplitRng(std::string_view name);

struct SplitOptions {
  SplitMethod method = SplitMethod::kRandom;
  SplitRng rng = SplitRng::kMlpipe;  // random and stratified only
  bool shuffle = true;               // false: random only, rows in file order
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
// a missing or unsuitable column (NotFound with did-you-mean if absent), and
// for what is not a split: kSklearn or no shuffle with kTime, no shuffle with
// kStratified; with kSklearn also a seed beyond 32 bits and what
// scikit-learn refuses (a class with one row, a stratify column with
// missing values).
StatusOr<SplitIndices> SplitRows(const Table& table, const SplitOptions& options);
StatusOr<TableSplit> SplitTable(const Table& table, const SplitOptions& options);

// Fisher-Yates shuffle of `v` driven by std::mt19937_64(seed) raw output with
// rejection sampling: identical on every platform.
void ShuffleIndices(std::vector<size_t>* v, uint64_t seed);

}  // namespace mlpipe::data
