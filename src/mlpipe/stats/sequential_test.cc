#include "mlpipe/stats/sequential.h"

#include <gtest/gtest.h>

#include <boost/math/distributions/normal.hpp>
#include <cmath>

#include "mlpipe/stats/rng.h"

namespace mlpipe::stats {
namespace {

// The half-normal mixture likelihood ratio against an independent
// computation: scipy's numerical integral of the likelihood ratio over the
// mixing density, not the closed form:
//   V = var_t / n_t + var_c / n_c (variances as in the header); x = mean_t - mean_c - margin
//   quad(lambda d: exp((d * x - d * d / 2) / V) * 2 / tau * norm.pdf(d / tau), 0, inf)
TEST(SequentialTestTest, LikelihoodRatioMatchesNumericalMixtureIntegral) {
  // Proportions 100 / 2000 against 300 / 8000, tau 0.01: 7.879274751449528, z 2.346840579783963.
  SequentialResult r = SequentialTest(ArmSample::Proportion(2000, 100), ArmSample::Proportion(8000, 300), 0,
                                      Side::kGreater, {.tau = 0.01});
  EXPECT_TRUE(r.judged);
  EXPECT_NEAR(r.likelihood_ratio, 7.879274751449528, 1e-9);
  EXPECT_NEAR(r.z, 2.346840579783963, 1e-9);
  EXPECT_NEAR(r.p_value, 1 / 7.879274751449528, 1e-9);
  EXPECT_FALSE(r.reject);  // 7.9 < 1 / 0.05
  EXPECT_NEAR(r.estimate, 0.05 - 0.0375, 1e-15);

  // 50 / 400 against 30 / 400, tau 0.02: 5.074566425675117.
  r = SequentialTest(ArmSample::Proportion(400, 50), ArmSample::Proportion(400, 30), 0, Side::kGreater,
                     {.tau = 0.02});
  EXPECT_NEAR(r.likelihood_ratio, 5.074566425675117, 1e-9);

  // Continuous values: n 500, sum 5200, sum_sq 56000 against n 500, sum 5000, sum_sq 52500, tau 1:
  // 22.275559327189928 >= 20, so at alpha 0.05 it rejects.
  r = SequentialTest({.n = 500, .sum = 5200, .sum_sq = 56000}, {.n = 500, .sum = 5000, .sum_sq = 52500}, 0,
                     Side::kGreater, {.tau = 1});
  EXPECT_NEAR(r.likelihood_ratio, 22.275559327189928, 1e-8);
  EXPECT_NEAR(r.z, 3.005274398144837, 1e-9);
  EXPECT_TRUE(r.reject);
  EXPECT_NEAR(r.std_error, std::sqrt((56000 - 500 * 10.4 * 10.4) / 499 / 500 + 2500.0 / 499 / 500), 1e-12);
}

TEST(SequentialTestTest, SideAndMarginMirror) {
  ArmSample t{.n = 500, .sum = 5200, .sum_sq = 56000}, c{.n = 500, .sum = 5000, .sum_sq = 52500};
  SequentialResult greater = SequentialTest(t, c, 0.1, Side::kGreater, {.tau = 1});
  SequentialResult less = SequentialTest(c, t, -0.1, Side::kLess, {.tau = 1});
  EXPECT_NEAR(greater.z, less.z, 1e-12);
  EXPECT_NEAR(greater.likelihood_ratio, less.likelihood_ratio, 1e-9);
  // An estimate on the null's side is no evidence: Lambda < 1, p = 1.
  SequentialResult wrong_side = SequentialTest(t, c, 0, Side::kLess, {.tau = 1});
  EXPECT_LT(wrong_side.z, 0);
  EXPECT_LT(wrong_side.likelihood_ratio, 1);
  EXPECT_EQ(wrong_side.p_value, 1);
  EXPECT_FALSE(wrong_side.reject);
}

TEST(SequentialTestTest, ZeroOrOneErrorDoesNotReject) {
  for (double n : {30.0, 100.0, 1000.0, 1e5, 1e7}) {
    SequentialResult none =
        SequentialTest(ArmSample::Proportion(n, 0), ArmSample::Proportion(n, 0), 0, Side::kGreater);
    EXPECT_TRUE(none.judged) << n;
    EXPECT_FALSE(none.reject) << n;
    EXPECT_GT(none.std_error, 0) << n;
    SequentialResult one =
        SequentialTest(ArmSample::Proportion(n, 1), ArmSample::Proportion(n, 0), 0, Side::kGreater);
    EXPECT_FALSE(one.reject) << n << ": " << one.reason;
    // A canary at 5 %: the candidate's first error against none in 19 times the traffic.
    SequentialResult canary =
        SequentialTest(ArmSample::Proportion(n, 1), ArmSample::Proportion(19 * n, 0), 0, Side::kGreater);
    EXPECT_FALSE(canary.reject) << n << ": " << canary.reason;
  }
  // Many errors where the control has none do reject.
  SequentialResult many =
      SequentialTest(ArmSample::Proportion(1000, 30), ArmSample::Proportion(1000, 0), 0, Side::kGreater);
  EXPECT_TRUE(many.reject) << many.reason;
}

TEST(SequentialTestTest, BelowMinNOrWithBadOptionsNotJudged) {
  SequentialResult few =
      SequentialTest(ArmSample::Proportion(29, 20), ArmSample::Proportion(1000, 0), 0, Side::kGreater);
  EXPECT_FALSE(few.judged);
  EXPECT_FALSE(few.reject);
  EXPECT_EQ(few.likelihood_ratio, 1);
  EXPECT_EQ(few.p_value, 1);
  EXPECT_NE(few.reason.find("not judged"), std::string::npos);
  EXPECT_GT(few.estimate, 0.6);  // still reported

  ArmSample t = ArmSample::Proportion(1000, 100), c = ArmSample::Proportion(1000, 10);
  for (SequentialOptions bad : {SequentialOptions{.alpha = 0}, SequentialOptions{.alpha = 1},
                                SequentialOptions{.tau = -1}, SequentialOptions{.tau = std::nan("")}}) {
    SequentialResult r = SequentialTest(t, c, 0, Side::kGreater, bad);
    EXPECT_FALSE(r.judged) << r.reason;
    EXPECT_FALSE(r.reject);
  }
  EXPECT_FALSE(SequentialTest(t, c, std::nan(""), Side::kGreater).judged);
  EXPECT_FALSE(SequentialTest(ArmSample::Proportion(-5, 0), c, 0, Side::kGreater).judged);
  EXPECT_FALSE(SequentialTest(ArmSample::Proportion(100, 101), c, 0, Side::kGreater).judged);
  EXPECT_FALSE(SequentialTest(t, c, 0, Side::kGreater, {.min_n = std::nan("")}).judged);
  SequentialResult constant = SequentialTest({.n = 50, .sum = 100, .sum_sq = 200},
                                             {.n = 50, .sum = 50, .sum_sq = 50}, 0, Side::kGreater);
  EXPECT_FALSE(constant.judged) << constant.reason;
  EXPECT_TRUE(SequentialTest(t, c, 0, Side::kGreater).reject);
}

// Simulated canary rollouts: 4 steps with 5, 10, 25 and 50 % of the traffic on
// the candidate, 10 looks per step, 200 requests between looks (8,000 in
// all), each request an error with probability p (candidate) or
// p_champion. The counts accumulate from the start of the rollout and the
// harm test (candidate error rate > champion's) is judged at every look.
struct RolloutOutcome {
  int sequential_rejections = 0;  // rollouts where the mSPRT rejected at some look
  int fixed_z_rejections = 0;     // rollouts where z > z_{0.95} at some look
};

RolloutOutcome SimulateRollouts(int rollouts, double p_candidate, double p_champion, uint64_t seed) {
  const double shares[] = {0.05, 0.10, 0.25, 0.50};
  const double z_95 = boost::math::quantile(boost::math::normal_distribution<double>(), 0.95);
  SeededRng rng(seed);
  RolloutOutcome outcome;
  for (int k = 0; k < rollouts; ++k) {
    double n_t = 0, x_t = 0, n_c = 0, x_c = 0;
    bool sequential = false, fixed = false;
    for (double share : shares) {
      for (int look = 0; look < 10; ++look) {
        for (int request = 0; request < 200; ++request) {
          if (rng.Uniform() < share) {
            n_t += 1;
            x_t += rng.Uniform() < p_candidate;
          } else {
            n_c += 1;
            x_c += rng.Uniform() < p_champion;
          }
        }
        SequentialResult r = SequentialTest(ArmSample::Proportion(n_t, x_t), ArmSample::Proportion(n_c, x_c),
                                            0, Side::kGreater);
        sequential |= r.reject;
        fixed |= r.judged && r.z > z_95;
      }
    }
    outcome.sequential_rejections += sequential;
    outcome.fixed_z_rejections += fixed;
  }
  return outcome;
}

// 1,000 A/A rollouts (2 % errors on both arms) peeked at all 40 looks. The
// mSPRT's false rejections stay at most alpha: if the true rate were exactly
// 0.05 the count would be Binomial(1000, 0.05), sd 6.9, so <= 50 + 3 sd = 70
// fails a correct test with probability about 0.2 % (and the mSPRT is
// conservative: its rate is well below alpha). A fixed-horizon one-sided
// z-test at 5 %, read at the same looks, rejects far more often than alpha:
// why the controller must not use one.
TEST(SequentialTestTest, AaRolloutsPeekedAtEveryLookRejectAtMostAlpha) {
  RolloutOutcome aa = SimulateRollouts(1000, 0.02, 0.02, 777);
  EXPECT_LE(aa.sequential_rejections, 70);
  EXPECT_GT(aa.fixed_z_rejections, 2 * 50) << "peeking at a fixed-horizon test should inflate its error";
  RecordProperty("sequential_rejections", aa.sequential_rejections);
  RecordProperty("fixed_z_rejections", aa.fixed_z_rejections);
}

// A real harm (errors 2 % -> 4 %) is detected in most rollouts.
TEST(SequentialTestTest, RealHarmIsDetectedInMostRollouts) {
  RolloutOutcome harm = SimulateRollouts(1000, 0.04, 0.02, 778);
  EXPECT_GE(harm.sequential_rejections, 800);
  RecordProperty("sequential_rejections", harm.sequential_rejections);
}

TEST(ArmSampleTest, MeanVarianceAndJson) {
  ArmSample values{.n = 4, .sum = 10, .sum_sq = 30};  // 1, 2, 3, 4
  EXPECT_DOUBLE_EQ(values.Mean(), 2.5);
  EXPECT_DOUBLE_EQ(values.Variance(), 5.0 / 3);
  EXPECT_EQ(ArmSample{}.Mean(), 0);
  EXPECT_EQ((ArmSample{.n = 1, .sum = 3, .sum_sq = 9}).Variance(), 0);
  ArmSample p = ArmSample::Proportion(10, 3);
  EXPECT_TRUE(p.binary);
  EXPECT_DOUBLE_EQ(p.Variance(), (3 - 10 * 0.09) / 9);
  EXPECT_EQ(p.ToJson()["sum_sq"], 3);
  SequentialResult r = SequentialTest(p, p, 0, Side::kGreater);
  for (const char* key :
       {"estimate", "std_error", "z", "tau", "likelihood_ratio", "p_value", "judged", "reject", "reason"}) {
    EXPECT_TRUE(r.ToJson().contains(key)) << key;
  }
}

}  // namespace
}  // namespace mlpipe::stats
