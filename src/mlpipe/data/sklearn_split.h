// scikit-learn's train_test_split, row for row: the split's `rng: sklearn`
// (split.h). The rows, and their order, are those that
// sklearn.model_selection.train_test_split(X, test_size=..., random_state=seed,
// shuffle=..., stratify=...) returns, with numpy's legacy RandomState
// (MT19937 seeded by init_genrand(seed), legacy shuffle), as in scikit-learn
// 1.2 and numpy 1.24 (the generator and the algorithm have not changed since
// scikit-learn 0.22). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/split.h"
#include "mlpipe/data/table.h"

namespace mlpipe::data {

// numpy.random.RandomState(seed), for the calls the splits make.
class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed) : mt_(seed) {}
  // A uniformly random integer in [0, max] (numpy's random_interval).
  uint64_t Interval(uint64_t max);
  // In-place legacy shuffle (RandomState.shuffle of a 1-d array).
  void Shuffle(std::vector<size_t>* v);
  // RandomState.permutation(n).
  std::vector<size_t> Permutation(size_t n);

 private:
  std::mt19937 mt_;
};

// One train_test_split call: row positions in the order scikit-learn returns
// them.
struct SklearnSplit {
  std::vector<size_t> train;
  std::vector<size_t> test;
};

// train_test_split(range(n), test_size=n_test, random_state=seed,
// shuffle=shuffle): ShuffleSplit's permutation, test first; without shuffle
// the first n - n_test rows train, the rest test. Needs 0 < n_test < n.
SklearnSplit SklearnShuffleSplit(size_t n, size_t n_test, uint32_t seed, bool shuffle);

// train_test_split(range(n), test_size=n_test, random_state=seed, stratify=y):
// StratifiedShuffleSplit, where y[i] is row i's class as an index into the
// classes in np.unique's (sorted) order, and num_classes counts them (each
// occurs). InvalidArgument, as scikit-learn raises ValueError, when a class
// has a single row or train or test would have fewer rows than there are
// classes.
StatusOr<SklearnSplit> SklearnStratifiedSplit(const std::vector<uint32_t>& y, size_t num_classes,
                                              size_t n_test, uint32_t seed);

// SplitRows (split.h) for SplitRng::kSklearn: one train_test_split call
// for test, and for a validation part a second call on the remaining rows
// with test_size = ceil(validation_fraction * n) rows; both with
// random_state = seed (and stratified on the class column's remaining rows).
// Indices keep scikit-learn's order. Classes of a numeric column are
// ordered by value, others by text (as np.unique orders a pandas column).
StatusOr<SplitIndices> SklearnSplitRows(const Table& table, const SplitOptions& options);

}  // namespace mlpipe::data
