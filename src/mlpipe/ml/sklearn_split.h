// scikit-learn-compatible train/test splits: the exact row indices that
// sklearn.model_selection.train_test_split(..., test_size=f, random_state=seed
// [, stratify=y]) returns with numpy's legacy RandomState (MT19937 seeded
// with init_genrand(seed), legacy shuffle), as in scikit-learn 1.2 and numpy
// 1.24. Used to compare our models with Python baselines on the very same
// rows (baselines.md); the pipeline's own `split` built-in uses data/split.h.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace mlpipe::ml {

// numpy.random.RandomState(seed) for the calls the splits need.
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

struct SplitIndices {
  std::vector<size_t> train;  // in sklearn's order
  std::vector<size_t> test;
};

// ShuffleSplit: n_test = ceil(test_fraction * n), n_train = n - n_test.
SplitIndices SklearnShuffleSplit(size_t n, double test_fraction, uint32_t seed);

// StratifiedShuffleSplit on class labels given as strings (classes are
// ordered as np.unique orders them: sorted).
SplitIndices SklearnStratifiedSplit(const std::vector<std::string>& y, double test_fraction, uint32_t seed);

}  // namespace mlpipe::ml
