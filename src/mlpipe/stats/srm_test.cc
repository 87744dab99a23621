#include "mlpipe/stats/srm.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mlpipe::stats {
namespace {

// Expected values: scipy.stats.chisquare(obs, obs.sum() * w / w.sum()) with
// scipy 1.10 (statistic, pvalue).
TEST(SampleRatioMismatchTest, MatchesScipyChisquare) {
  struct Case {
    std::vector<double> observed, weights;
    double chi_square, p_value;
    int df;
  };
  const Case cases[] = {
      {{5000, 5000}, {50, 50}, 0.0, 1.0, 1},
      {{5000, 5400}, {50, 50}, 15.384615384615385, 8.769942375590228e-05, 1},
      {{930, 70}, {95, 5}, 8.421052631578947, 0.0037090099909748053, 1},
      {{480, 530, 990}, {25, 25, 50}, 2.7, 0.2592402606458915, 2},
      {{5100, 4900}, {50, 50}, 4.0, 0.04550026389635857, 1},
      // A 0-weight arm without observations is left out: the same as chisquare([100, 120]).
      {{100, 120, 0}, {1, 1, 0}, 1.8181818181818181, 0.1775298524121496, 1},
  };
  for (const Case& c : cases) {
    SrmResult r = SampleRatioMismatch(c.observed, c.weights);
    EXPECT_NEAR(r.chi_square, c.chi_square, 1e-9 * (1 + c.chi_square));
    EXPECT_NEAR(r.p_value, c.p_value, 1e-12 + 1e-9 * c.p_value);
    EXPECT_EQ(r.degrees_of_freedom, c.df);
    EXPECT_EQ(r.mismatch, c.p_value < 0.001) << r.reason;
  }
}

TEST(SampleRatioMismatchTest, FiftyFiftySplit) {
  EXPECT_FALSE(SampleRatioMismatch({5000, 5000}, {50, 50}).mismatch);
  SrmResult off = SampleRatioMismatch({5000, 5400}, {50, 50});
  EXPECT_TRUE(off.mismatch);
  EXPECT_EQ(off.threshold, 0.001);
  EXPECT_NE(off.reason.find("mismatch"), std::string::npos);
  // The threshold is the caller's: p = 0.0455 is a mismatch at 0.05 only.
  EXPECT_FALSE(SampleRatioMismatch({5100, 4900}, {1, 1}).mismatch);
  EXPECT_TRUE(SampleRatioMismatch({5100, 4900}, {1, 1}, 0.05).mismatch);
}

TEST(SampleRatioMismatchTest, ObservationOnZeroWeightArmIsMismatch) {
  SrmResult r = SampleRatioMismatch({5000, 5000, 1}, {50, 50, 0});
  EXPECT_TRUE(r.mismatch);
  EXPECT_EQ(r.p_value, 0);
  EXPECT_NE(r.reason.find("arm 2 has weight 0"), std::string::npos) << r.reason;
}

TEST(SampleRatioMismatchTest, NothingToTestIsNoMismatch) {
  SrmResult empty = SampleRatioMismatch({0, 0}, {95, 5});
  EXPECT_FALSE(empty.mismatch);
  EXPECT_EQ(empty.p_value, 1);
  EXPECT_EQ(empty.chi_square, 0);
  EXPECT_FALSE(SampleRatioMismatch({300, 0}, {100, 0}).mismatch);  // all traffic on the one live arm
}

TEST(SampleRatioMismatchTest, InvalidSplitIsMismatchWithReason) {
  for (auto [observed, weights] : std::vector<std::pair<std::vector<double>, std::vector<double>>>{
           {{1, 2}, {1}}, {{1, 2}, {0, 0}}, {{1, 2}, {-1, 2}}, {{1, -2}, {1, 1}}, {{1, 2}, {1, NAN}}}) {
    SrmResult r = SampleRatioMismatch(observed, weights);
    EXPECT_TRUE(r.mismatch);
    EXPECT_NE(r.reason.find("cannot be checked"), std::string::npos) << r.reason;
  }
  EXPECT_EQ(SampleRatioMismatch({5000, 5400}, {1, 1}).ToJson()["degrees_of_freedom"], 1);
}

}  // namespace
}  // namespace mlpipe::stats
