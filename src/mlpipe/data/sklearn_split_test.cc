#include "mlpipe/data/sklearn_split.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/test_data.h"

namespace mlpipe::data {
namespace {

using V = std::vector<size_t>;

// The expected rows were printed once by scikit-learn 1.2.1 / numpy 1.24.2 /
// pandas 1.5.3 (Debian 12: python3-sklearn, python3-pandas), with
//
//   from math import ceil
//   from sklearn.model_selection import train_test_split as tts
//   def three(df, test, valid, seed, strat=None, shuffle=True):
//       rest, te = tts(df, test_size=test, random_state=seed, shuffle=shuffle,
//                      stratify=df[strat] if strat else None)
//       if valid == 0: return list(rest.index), [], list(te.index)
//       tr, va = tts(rest, test_size=ceil(valid * len(df)), random_state=seed,
//                    shuffle=shuffle, stratify=rest[strat] if strat else None)
//       return list(tr.index), list(va.index), list(te.index)
//
// on the 32 rows below (y = the letters; k = 10 for a, 2 for b, 3 for c) and
// on shared/data/iris.csv.
const char* kLabels = "aabbbcccccaaabbbbbbbbbccccccaaab";

Table LabelTable() {
  std::string csv = "y,k\n";
  for (const char* p = kLabels; *p; ++p) {
    csv += fmt::format("{},{}\n", *p, *p == 'a' ? 10 : *p == 'b' ? 2 : 3);
  }
  auto t = ReadCsvString(csv);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

SplitOptions Sklearn(double test, double valid, uint64_t seed, SplitMethod method = SplitMethod::kRandom,
                     const std::string& column = "") {
  SplitOptions o;
  o.rng = SplitRng::kSklearn;
  o.test_fraction = test;
  o.validation_fraction = valid;
  o.seed = seed;
  o.method = method;
  o.column = column;
  return o;
}

TEST(SklearnSplitTest, ShuffleSplitReproducesScikitLearn) {
  // train_test_split(np.arange(32), test_size=0.2, random_state=42)
  SklearnSplit s = SklearnShuffleSplit(32, 7, 42, /*shuffle=*/true);
  EXPECT_EQ(s.train,
            (V{25, 12, 0, 4, 16, 5, 13, 11, 23, 1, 2, 26, 3, 21, 27, 22, 18, 31, 20, 7, 10, 14, 28, 19, 6}));
  EXPECT_EQ(s.test, (V{29, 15, 24, 17, 8, 9, 30}));
}

TEST(SklearnSplitTest, StratifiedSplitReproducesScikitLearn) {
  // train_test_split(np.arange(32), test_size=0.2, random_state=42, stratify=y)
  auto s = SplitRows(LabelTable(), Sklearn(0.2, 0, 42, SplitMethod::kStratified, "y"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train,
            (V{1, 12, 26, 14, 24, 15, 8, 5, 18, 13, 22, 30, 28, 23, 21, 7, 2, 10, 0, 20, 25, 27, 17, 31, 3}));
  EXPECT_EQ(s->test, (V{29, 11, 4, 9, 16, 19, 6}));
  EXPECT_TRUE(s->validation.empty());
}

TEST(SklearnSplitTest, ValidationIsASecondSplitOfTheRemainingRows) {
  auto s = SplitRows(LabelTable(), Sklearn(0.2, 0.1, 7));  // three(df, 0.2, 0.1, 7)
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train, (V{17, 22, 30, 14, 28, 16, 4, 12, 3, 7, 15, 6, 23, 0, 29, 18, 19, 21, 25, 11, 8}));
  EXPECT_EQ(s->validation, (V{27, 31, 24, 10}));
  EXPECT_EQ(s->test, (V{2, 26, 1, 9, 13, 5, 20}));
}

TEST(SklearnSplitTest, StratifiedValidationStratifiesTheRemainingRows) {
  auto s = SplitRows(LabelTable(),
                     Sklearn(0.25, 0.25, 3, SplitMethod::kStratified, "y"));  // three(df, .25, .25, 3, 'y')
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train, (V{5, 1, 3, 8, 12, 7, 14, 18, 21, 28, 19, 27, 30, 17, 4, 9}));
  EXPECT_EQ(s->validation, (V{2, 24, 16, 29, 31, 26, 11, 22}));
  EXPECT_EQ(s->test, (V{25, 20, 13, 15, 10, 6, 23, 0}));
}

TEST(SklearnSplitTest, NumericClassesAreOrderedByValueAsNumpyDoes) {
  // Classes 2 < 3 < 10 (as text "10" would come first and draw other rows).
  auto s =
      SplitRows(LabelTable(), Sklearn(0.2, 0, 5, SplitMethod::kStratified, "k"));  // three(df, .2, 0, 5, 'k')
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train,
            (V{5, 7, 12, 30, 26, 18, 25, 1, 20, 27, 17, 4, 10, 9, 0, 19, 11, 15, 31, 23, 8, 14, 24, 3, 2}));
  EXPECT_EQ(s->test, (V{13, 16, 21, 28, 22, 29, 6}));
}

TEST(SklearnSplitTest, WithoutShuffleRowsStayInFileOrder) {
  SplitOptions o = Sklearn(0.2, 0.1, 0);
  o.shuffle = false;
  auto s = SplitRows(LabelTable(), o);  // three(df, 0.2, 0.1, 0, shuffle=False)
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->train.size(), 21u);
  EXPECT_EQ(s->train.back(), 20u);
  EXPECT_EQ(s->validation, (V{21, 22, 23, 24}));
  EXPECT_EQ(s->test, (V{25, 26, 27, 28, 29, 30, 31}));
  // The mlpipe generator does the same without shuffling.
  o.rng = SplitRng::kMlpipe;
  auto m = SplitRows(LabelTable(), o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->validation, s->validation);
  EXPECT_EQ(m->test, s->test);
}

TEST(SklearnSplitTest, IrisThreeWayStratifiedMatchesScikitLearn) {
  auto iris = ReadCsv(testing::SharedData("iris.csv"));
  ASSERT_TRUE(iris.ok()) << iris.status().ToString();
  auto s = SplitRows(*iris, Sklearn(0.2, 0.1, 42, SplitMethod::kStratified, "species"));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->validation, (V{33, 148, 26, 81, 78, 122, 99, 32, 17, 144, 137, 61, 47, 142, 80}));
  EXPECT_EQ(s->test, (V{38, 127, 57, 93, 42,  56, 22,  20, 147, 84,  107, 141, 104, 51,  7,
                        49, 14,  69, 63, 138, 10, 140, 58, 134, 132, 77,  75,  18,  116, 28}));
  ASSERT_EQ(s->train.size(), 105u);
  EXPECT_EQ((V(s->train.begin(), s->train.begin() + 8)), (V{121, 145, 106, 65, 40, 130, 23, 126}));
  EXPECT_EQ(s->train.back(), 82u);
}

TEST(SklearnSplitTest, RefusesWhatScikitLearnRefuses) {
  Table t = LabelTable();
  SplitOptions time = Sklearn(0.2, 0, 1, SplitMethod::kTime, "k");
  EXPECT_FALSE(SplitRows(t, time).ok());
  SplitOptions big_seed = Sklearn(0.2, 0, uint64_t{1} << 32);
  EXPECT_FALSE(SplitRows(t, big_seed).ok());
  auto one = ReadCsvString("y\na\na\nb\na\na\n");
  ASSERT_TRUE(one.ok());
  auto single = SplitRows(*one, Sklearn(0.4, 0, 1, SplitMethod::kStratified, "y"));
  ASSERT_FALSE(single.ok());
  EXPECT_NE(single.status().message().find("only 1 row"), std::string::npos) << single.status().ToString();
  SplitOptions unshuffled = Sklearn(0.2, 0, 1, SplitMethod::kStratified, "y");
  unshuffled.shuffle = false;
  EXPECT_FALSE(SplitRows(t, unshuffled).ok());
}

TEST(SklearnSplitTest, DifferentSeedsGiveDifferentSplits) {
  EXPECT_NE(SklearnShuffleSplit(100, 20, 1, true).test, SklearnShuffleSplit(100, 20, 2, true).test);
  EXPECT_EQ(SklearnShuffleSplit(100, 20, 1, true).test.size(), 20u);
}

}  // namespace
}  // namespace mlpipe::data
