#include "mlpipe/stats/bootstrap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "mlpipe/stats/rng.h"

namespace mlpipe::stats {
namespace {

// delta = mean(b) - mean(a) over the given rows.
RowDelta MeanDifference(const std::vector<double>& a, const std::vector<double>& b) {
  return [&a, &b](const std::vector<uint32_t>& rows) {
    double sum = 0;
    for (uint32_t r : rows) sum += b[r] - a[r];
    return sum / static_cast<double>(rows.size());
  };
}

const std::vector<double> kA = {0.61, 0.72, 0.55, 0.80, 0.47, 0.66, 0.91, 0.58, 0.73, 0.69, 0.52, 0.77};
const std::vector<double> kB = {0.64, 0.70, 0.61, 0.83, 0.52, 0.65, 0.95, 0.63, 0.71, 0.74, 0.55, 0.80};

// Expected values from an independent implementation: SplitMix64 and the
// rejection draw in Python integers, numpy for the means and the percentiles.
//   def below(n): t = (2**64 - n) % n; draw r = next() until r >= t; return r % n
//   for each resample: idx = [below(12) for _ in range(12)]; d.append(b[idx].mean() - a[idx].mean())
//   numpy.percentile(d, [2.5, 97.5])   # seed 42, 1000 resamples
//   numpy.percentile(d, [5, 95])       # seed 7, 2000 resamples
TEST(PairedBootstrapTest, MeanDifferenceMatchesNumpyOnWorkedExample) {
  auto at95 =
      PairedBootstrap(kA.size(), MeanDifference(kA, kB), {.resamples = 1000, .seed = 42, .confidence = 0.95});
  ASSERT_TRUE(at95.ok()) << at95.status().ToString();
  EXPECT_NEAR(at95->estimate, 0.02666666666666666, 1e-12);
  EXPECT_NEAR(at95->lo, 0.010812499999999833, 1e-12);
  EXPECT_NEAR(at95->hi, 0.04166666666666663, 1e-12);
  EXPECT_EQ(at95->resamples, 1000);
  EXPECT_EQ(at95->skipped, 0);
  EXPECT_EQ(at95->seed, 42u);
  EXPECT_EQ(at95->confidence, 0.95);

  auto at90 =
      PairedBootstrap(kA.size(), MeanDifference(kA, kB), {.resamples = 2000, .seed = 7, .confidence = 0.90});
  ASSERT_TRUE(at90.ok());
  EXPECT_NEAR(at90->lo, 0.014166666666666656, 1e-12);
  EXPECT_NEAR(at90->hi, 0.039166666666666794, 1e-12);
}

// For a mean over many rows the bootstrap distribution is close to normal
// with sd s / sqrt(n) (s with ddof 0), so the 95 % percentile interval is
// about estimate +- 1.96 s / sqrt(n). The Monte Carlo error of a 2.5 %
// quantile from 4000 resamples is about 0.04 sd; the tolerance is 0.2 sd.
TEST(PairedBootstrapTest, LargeSampleIntervalIsCloseToNormalTheory) {
  const size_t n = 400;
  SeededRng rng(3);
  std::vector<double> a(n), b(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = rng.Normal();
    b[i] = a[i] + 0.1 + 0.5 * rng.Normal();
  }
  double mean = 0, sq = 0;
  for (size_t i = 0; i < n; ++i) mean += (b[i] - a[i]) / n;
  for (size_t i = 0; i < n; ++i) sq += (b[i] - a[i] - mean) * (b[i] - a[i] - mean) / n;
  const double sd = std::sqrt(sq / n);
  auto interval = PairedBootstrap(n, MeanDifference(a, b), {.resamples = 4000, .seed = 9});
  ASSERT_TRUE(interval.ok());
  EXPECT_NEAR(interval->estimate, mean, 1e-12);
  EXPECT_NEAR(interval->lo, mean - 1.959964 * sd, 0.2 * sd);
  EXPECT_NEAR(interval->hi, mean + 1.959964 * sd, 0.2 * sd);
}

TEST(PairedBootstrapTest, SameSeedSameIntervalBitForBitOtherSeedAnother) {
  auto first = PairedBootstrap(kA.size(), MeanDifference(kA, kB), {.seed = 123});
  auto again = PairedBootstrap(kA.size(), MeanDifference(kA, kB), {.seed = 123});
  auto other = PairedBootstrap(kA.size(), MeanDifference(kA, kB), {.seed = 124});
  ASSERT_TRUE(first.ok() && again.ok() && other.ok());
  EXPECT_EQ(first->ToJson().dump(), again->ToJson().dump());
  EXPECT_EQ(first->lo, again->lo);
  EXPECT_EQ(first->hi, again->hi);
  EXPECT_TRUE(first->lo != other->lo || first->hi != other->hi);
  EXPECT_EQ(first->estimate, other->estimate);
}

// The offline gate "B beats A by 0 at 95 %" on two models whose per-row
// correctness comes from the same distribution: each row has a difficulty
// p ~ U(0.5, 1) and both models are right on it with probability p,
// independently (so their correctness is correlated, as on a real test
// split). The gate is a one-sided 2.5 % test; 200 seeded trials must pass it
// at most 5 % of the time (10 trials).
TEST(PairedBootstrapTest, AaGatePassesAtMostFivePercentOfTrials) {
  const size_t n = 300;
  SeededRng rng(20240601);
  int passed = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<double> a(n), b(n);
    for (size_t i = 0; i < n; ++i) {
      const double p = 0.5 + 0.5 * rng.Uniform();
      a[i] = rng.Uniform() < p ? 1 : 0;
      b[i] = rng.Uniform() < p ? 1 : 0;
    }
    auto interval = PairedBootstrap(n, MeanDifference(a, b), {.resamples = 1000, .seed = rng.Next()});
    ASSERT_TRUE(interval.ok());
    passed += interval->lo > 0;
  }
  EXPECT_LE(passed, 10);
  RecordProperty("passed", passed);
}

// A metric that is undefined on some resamples (ROC AUC on rows of one
// class): here the delta is undefined unless row 0 is drawn, which misses a
// resample of 4 rows with probability (3/4)^4 = 32 %.
TEST(PairedBootstrapTest, UndefinedResamplesAreSkippedAndCounted) {
  auto needs_row0 = [](const std::vector<uint32_t>& rows) {
    for (uint32_t r : rows) {
      if (r == 0) return 0.5;
    }
    return std::numeric_limits<double>::quiet_NaN();
  };
  auto interval = PairedBootstrap(4, needs_row0, {.resamples = 1000});
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(interval->resamples + interval->skipped, 1000);
  EXPECT_GT(interval->skipped, 250);
  EXPECT_LT(interval->skipped, 390);
  EXPECT_EQ(interval->lo, 0.5);

  auto unless_row0 = [](const std::vector<uint32_t>& rows) {
    for (uint32_t r : rows) {
      if (r == 0) return std::numeric_limits<double>::quiet_NaN();
    }
    return 0.5;
  };
  // Undefined on the original rows.
  EXPECT_EQ(PairedBootstrap(4, unless_row0, {}).status().code(), StatusCode::kInvalidArgument);
  // Defined on all rows but on only 32 % of the resamples.
  auto mostly_undefined = [](const std::vector<uint32_t>& rows) {
    bool ordered = true;
    for (size_t i = 0; i < rows.size(); ++i) ordered &= rows[i] == i;
    for (uint32_t r : rows) {
      if (r == 0 && !ordered) return std::numeric_limits<double>::quiet_NaN();
    }
    return 0.5;
  };
  auto status = PairedBootstrap(4, mostly_undefined, {}).status();
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("undefined in"), std::string::npos) << status.message();
}

TEST(PairedBootstrapTest, BadInputIsInvalidArgument) {
  auto delta = MeanDifference(kA, kB);
  EXPECT_EQ(PairedBootstrap(0, delta, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(PairedBootstrap(kA.size(), delta, {.resamples = 99}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PairedBootstrap(kA.size(), delta, {.confidence = 1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PairedBootstrap(kA.size(), delta, {.confidence = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(PairedBootstrap(kA.size(), delta, {.confidence = std::nan("")}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(SortedQuantileTest, LinearInterpolationLikeNumpy) {
  // numpy.quantile([1, 2, 4, 8], [0, 0.25, 0.5, 0.9, 1]) == [1, 1.75, 3, 6.8, 8]
  const std::vector<double> sorted = {1, 2, 4, 8};
  EXPECT_DOUBLE_EQ(SortedQuantile(sorted, 0), 1);
  EXPECT_DOUBLE_EQ(SortedQuantile(sorted, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(SortedQuantile(sorted, 0.5), 3);
  EXPECT_DOUBLE_EQ(SortedQuantile(sorted, 0.9), 6.8);
  EXPECT_DOUBLE_EQ(SortedQuantile(sorted, 1), 8);
  EXPECT_DOUBLE_EQ(SortedQuantile({5}, 0.3), 5);
  EXPECT_DOUBLE_EQ(SortedQuantile(sorted, std::nan("")), 1);
  EXPECT_DOUBLE_EQ(SortedQuantile(sorted, 1.5), 8);
}

}  // namespace
}  // namespace mlpipe::stats
