#include "mlpipe/monitor/cbpe.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace mlpipe::monitor {
namespace {

TEST(CbpeTest, AnalyticTwoScores) {
  // Two rows scored 0.8 and 0.2. Expected positives P = 0.8 + 0.2 = 1,
  // negatives N = 0.2 + 0.8 = 1.
  //   threshold 0.8: TP = 0.8, FP = 0.2 -> (FPR, TPR) = (0.2, 0.8)
  //   threshold 0.2: TP = 1.0, FP = 1.0 -> (1, 1)
  //   AUC = 0.2 * (0 + 0.8) / 2 + 0.8 * (0.8 + 1) / 2 = 0.08 + 0.72 = 0.80
  // Check by pairs: a positive is the 0.8 row w.p. 0.8, a negative the 0.2
  // row w.p. 0.8: P(pos > neg) = 0.64, P(tie) = 0.8 * 0.2 + 0.2 * 0.8 = 0.32,
  // AUC = 0.64 + 0.32 / 2 = 0.80.
  // Accuracy at 0.5: each row is right with probability 0.8.
  PerformanceFigures f = EstimatePerformance({0.8, 0.2});
  EXPECT_EQ(f.rows, 2u);
  EXPECT_NEAR(f.roc_auc, 0.80, 1e-12);
  EXPECT_NEAR(f.accuracy, 0.80, 1e-12);
  EXPECT_NEAR(f.positive_rate, 0.5, 1e-12);
}

TEST(CbpeTest, ThresholdDecidesWhichSideIsPredicted) {
  // At threshold 0.9 both rows are predicted negative: right w.p. 0.2 and 0.8.
  EXPECT_NEAR(EstimatePerformance({0.8, 0.2}, 0.9).accuracy, 0.5, 1e-12);
  // A score equal to the threshold is predicted negative (argmax keeps class 0 on a tie).
  EXPECT_NEAR(EstimatePerformance({0.5}).accuracy, 0.5, 1e-12);
  EXPECT_NEAR(RealisedPerformance({0.5}, {0}).accuracy, 1.0, 1e-12);
}

TEST(CbpeTest, UndefinedCasesAreNaN) {
  EXPECT_TRUE(std::isnan(EstimatePerformance({}).accuracy));
  EXPECT_TRUE(std::isnan(EstimatePerformance({1.0, 1.0}).roc_auc));  // no expected negatives
  EXPECT_TRUE(std::isnan(RealisedPerformance({0.3, 0.6}, {1, 1}).roc_auc));
}

// Scores sigmoid(z), z ~ N(0, 1.5^2); labels Bernoulli(f(score)).
struct Simulated {
  std::vector<double> scores;
  std::vector<int> labels;
};
Simulated Simulate(size_t n, uint64_t seed, double (*truth)(double)) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0, 1.5);
  std::uniform_real_distribution<double> u(0, 1);
  Simulated s;
  for (size_t i = 0; i < n; ++i) {
    const double p = 1 / (1 + std::exp(-z(rng)));
    s.scores.push_back(p);
    s.labels.push_back(u(rng) < truth(p) ? 1 : 0);
  }
  return s;
}

TEST(CbpeTest, EstimateMatchesRealisedOnCalibratedScores) {
  // 5,000 rows: the realised accuracy's standard error is about 0.006 and
  // the AUC's about 0.007, so 0.025 is over three of them.
  for (uint64_t seed : {1u, 2u, 3u}) {
    Simulated s = Simulate(5000, seed, [](double p) { return p; });
    PerformanceFigures est = EstimatePerformance(s.scores);
    PerformanceFigures real = RealisedPerformance(s.scores, s.labels);
    EXPECT_NEAR(est.accuracy, real.accuracy, 0.025) << "seed " << seed;
    EXPECT_NEAR(est.roc_auc, real.roc_auc, 0.025) << "seed " << seed;
    EXPECT_NEAR(est.positive_rate, real.positive_rate, 0.025) << "seed " << seed;
    EXPECT_GT(real.roc_auc, 0.7);  // an informative model, not a coin
  }
}

TEST(CbpeTest, MiscalibratedScoresAreEstimatedWrongly) {
  // Labels drawn with p^2: the model overstates positives, and CBPE, which
  // trusts the scores, is off by far more than the noise: the limit the
  // realised metric exposes. (Here the accuracy errors on the two sides of
  // the threshold happen to cancel; the expected prevalence does not.)
  Simulated s = Simulate(5000, 4, [](double p) { return p * p; });
  PerformanceFigures est = EstimatePerformance(s.scores);
  PerformanceFigures real = RealisedPerformance(s.scores, s.labels);
  EXPECT_GT(std::fabs(est.positive_rate - real.positive_rate), 0.15);
}

}  // namespace
}  // namespace mlpipe::monitor
