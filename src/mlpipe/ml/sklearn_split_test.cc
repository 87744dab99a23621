#include "mlpipe/ml/sklearn_split.h"

#include <gtest/gtest.h>

namespace mlpipe::ml {
namespace {

using V = std::vector<size_t>;

// Expected indices printed by scikit-learn 1.2.1 / numpy 1.24 for
// train_test_split(np.arange(32), y, test_size=0.2, random_state=42[, stratify=y]).
const char* kLabels = "aabbbcccccaaabbbbbbbbbccccccaaab";

std::vector<std::string> Labels() {
  std::vector<std::string> y;
  for (const char* p = kLabels; *p; ++p) y.emplace_back(1, *p);
  return y;
}

TEST(SklearnSplitTest, ShuffleSplitReproducesScikitLearn) {
  SplitIndices s = SklearnShuffleSplit(32, 0.2, 42);
  EXPECT_EQ(s.train, (V{25, 12, 0, 4, 16, 5, 13, 11, 23, 1, 2, 26, 3, 21, 27, 22, 18, 31, 20, 7, 10, 14, 28, 19, 6}));
  EXPECT_EQ(s.test, (V{29, 15, 24, 17, 8, 9, 30}));
}

TEST(SklearnSplitTest, StratifiedSplitReproducesScikitLearn) {
  SplitIndices s = SklearnStratifiedSplit(Labels(), 0.2, 42);
  EXPECT_EQ(s.train, (V{1, 12, 26, 14, 24, 15, 8, 5, 18, 13, 22, 30, 28, 23, 21, 7, 2, 10, 0, 20, 25, 27, 17, 31, 3}));
  EXPECT_EQ(s.test, (V{29, 11, 4, 9, 16, 19, 6}));
}

TEST(SklearnSplitTest, DifferentSeedsGiveDifferentSplits) {
  EXPECT_NE(SklearnShuffleSplit(100, 0.2, 1).test, SklearnShuffleSplit(100, 0.2, 2).test);
  EXPECT_EQ(SklearnShuffleSplit(100, 0.2, 1).test.size(), 20u);
}

}  // namespace
}  // namespace mlpipe::ml
