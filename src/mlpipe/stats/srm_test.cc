#include "mlpipe/stats/srm.h"

#include <gtest/gtest.h>

#include <cmath>

#include "mlpipe/stats/rng.h"

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

// log Bayes factors from scipy.special.gammaln (scipy 1.10):
// gammaln(k) - gammaln(k + n) + sum(gammaln(k p_i + x_i) - gammaln(k p_i) - x_i log p_i), k = 100.
TEST(SequentialSampleRatioMismatchTest, MatchesTheMixtureBayesFactor) {
  struct Case {
    std::vector<double> observed, weights;
    double log_bf;
  };
  const Case cases[] = {
      {{5000, 5400}, {50, 50}, 5.292161416073213},
      {{930, 70}, {95, 5}, 2.0943051089751066},
      {{92, 0}, {50, 50}, 22.77731976810844},
      {{7, 5}, {50, 50}, -0.03891368228655878},
      {{480, 530, 990}, {25, 25, 50}, -1.780324224612741},
      {{4000, 1000}, {95, 5}, 687.0532455855409},
  };
  for (const Case& c : cases) {
    SrmResult r = SequentialSampleRatioMismatch(c.observed, c.weights);
    EXPECT_TRUE(r.sequential);
    EXPECT_NEAR(r.log_bayes_factor, c.log_bf, 1e-8 * (1 + std::abs(c.log_bf)));
    EXPECT_NEAR(r.p_value, std::min(1.0, std::exp(-c.log_bf)), 1e-9);
    EXPECT_EQ(r.mismatch, c.log_bf >= std::log(1000.0)) << r.reason;
    // The fixed-sample chi-square is still reported.
    EXPECT_EQ(r.chi_square, SampleRatioMismatch(c.observed, c.weights).chi_square);
  }
  EXPECT_TRUE(SequentialSampleRatioMismatch({92, 0}, {50, 50}).mismatch);
  EXPECT_EQ(SequentialSampleRatioMismatch({5000, 5000, 1}, {50, 50, 0}).p_value, 0);
  EXPECT_TRUE(SequentialSampleRatioMismatch({1, 2}, {0, 0}).mismatch);
  EXPECT_FALSE(SequentialSampleRatioMismatch({0, 0}, {50, 50}).mismatch);
  EXPECT_EQ(SequentialSampleRatioMismatch({5000, 5400}, {1, 1}).ToJson()["test"],
            "sequential (Dirichlet-multinomial mixture)");
}

// The reason for the sequential test: a look every few requests. Under a
// split that is as configured, the chi-square at 0.05 looked at after every
// 10 units rejects in far more than 5 % of experiments; the mixture test stays
// within its alpha. A real mismatch is still found.
TEST(SequentialSampleRatioMismatchTest, RepeatedLooksKeepTheFalseHaltRate) {
  SeededRng rng(20261207);
  const int kExperiments = 400, kLooks = 100, kPerLook = 10;
  int chi_square_halts = 0, sequential_halts = 0;
  for (int e = 0; e < kExperiments; ++e) {
    double arms[2] = {0, 0};
    bool chi = false, seq = false;
    for (int look = 0; look < kLooks && !(chi && seq); ++look) {
      for (int i = 0; i < kPerLook; ++i) arms[rng.Uniform() < 0.5 ? 1 : 0] += 1;
      chi = chi || SampleRatioMismatch({arms[0], arms[1]}, {50, 50}, 0.05).mismatch;
      seq = seq || SequentialSampleRatioMismatch({arms[0], arms[1]}, {50, 50}, 0.05).mismatch;
    }
    chi_square_halts += chi;
    sequential_halts += seq;
  }
  EXPECT_GT(chi_square_halts, kExperiments * 0.15) << chi_square_halts << " of " << kExperiments;
  EXPECT_LE(sequential_halts, kExperiments * 0.05) << sequential_halts << " of " << kExperiments;
  // 10 % configured, 15 % sent: found within a few thousand units.
  double arms[2] = {0, 0};
  int found_at = -1;
  for (int n = 1; n <= 5000 && found_at < 0; ++n) {
    arms[rng.Uniform() < 0.15 ? 1 : 0] += 1;
    if (n % 10 == 0 && SequentialSampleRatioMismatch({arms[0], arms[1]}, {90, 10}).mismatch) found_at = n;
  }
  EXPECT_GT(found_at, 0) << "10 % configured, 15 % observed, not found in 5000 units";
}

}  // namespace
}  // namespace mlpipe::stats
