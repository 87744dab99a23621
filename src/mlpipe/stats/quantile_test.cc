#include "mlpipe/stats/quantile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mlpipe::stats {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Latency buckets (seconds) with 100 observations: 10 <= 0.1, 30 in
// (0.1, 0.25], 50 in (0.25, 0.5], 9 in (0.5, 1], 1 above 1.
const std::vector<double> kBounds = {0.1, 0.25, 0.5, 1, kInf};
const std::vector<double> kCumulative = {10, 40, 90, 99, 100};

// By hand, as Prometheus' histogram_quantile: rank = q * 100, the first
// bucket whose cumulative count reaches it, linear inside that bucket.
TEST(HistogramQuantileTest, MatchesHandComputedExamples) {
  EXPECT_DOUBLE_EQ(HistogramQuantile(kBounds, kCumulative, 0.05), 0.05);               // 0 + 0.1 * 5/10
  EXPECT_DOUBLE_EQ(HistogramQuantile(kBounds, kCumulative, 0.1), 0.1);                 // 0 + 0.1 * 10/10
  EXPECT_DOUBLE_EQ(HistogramQuantile(kBounds, kCumulative, 0.5), 0.3);                 // 0.25 + 0.25 * 10/50
  EXPECT_DOUBLE_EQ(HistogramQuantile(kBounds, kCumulative, 0.9), 0.5);                 // 0.25 + 0.25 * 50/50
  EXPECT_DOUBLE_EQ(HistogramQuantile(kBounds, kCumulative, 0.95), 0.5 + 0.5 * 5 / 9);  // rank 95
  EXPECT_DOUBLE_EQ(HistogramQuantile(kBounds, kCumulative, 0.99), 1.0);                // 0.5 + 0.5 * 9/9
  EXPECT_DOUBLE_EQ(HistogramQuantile(kBounds, kCumulative, 0.995),
                   1.0);  // in the +inf bucket: the last bound
}

TEST(HistogramQuantileTest, EdgeCasesFollowPrometheus) {
  // A first bucket with a bound <= 0 has no lower bound: its quantiles are the bound.
  EXPECT_EQ(HistogramQuantile({-1, 0, 1, kInf}, {5, 10, 20, 20}, 0.1), -1);
  EXPECT_DOUBLE_EQ(HistogramQuantile({-1, 0, 1, kInf}, {5, 10, 20, 20}, 0.75), 0.5);
  // A decreasing count (a racing scrape) is raised to the running maximum: {10, 40, 40, 99, 100}.
  EXPECT_DOUBLE_EQ(HistogramQuantile(kBounds, {10, 40, 38, 99, 100}, 0.5), 0.5 + 0.5 * 10 / 59);
  // Invalid histograms and q give NaN.
  EXPECT_TRUE(std::isnan(HistogramQuantile(kBounds, {0, 0, 0, 0, 0}, 0.5)));
  EXPECT_TRUE(std::isnan(HistogramQuantile({0.1, 0.25, 0.5, 1}, {10, 40, 90, 100}, 0.5)));  // no +inf
  EXPECT_TRUE(std::isnan(HistogramQuantile({0.1, 0.1, kInf}, {1, 2, 3}, 0.5)));             // not increasing
  EXPECT_TRUE(std::isnan(HistogramQuantile(kBounds, {10, 40, 90}, 0.5)));                   // sizes differ
  EXPECT_TRUE(std::isnan(HistogramQuantile({kInf}, {5}, 0.5)));
  EXPECT_TRUE(std::isnan(HistogramQuantile(kBounds, kCumulative, 1.5)));
  EXPECT_TRUE(std::isnan(HistogramQuantile(kBounds, kCumulative, std::nan(""))));
}

TEST(HistogramCountAboveTest, MatchesHandComputedExamples) {
  EXPECT_DOUBLE_EQ(HistogramCountAbove(kBounds, kCumulative, 0.3), 10 + 50 * 0.8);  // (0.5 - 0.3) / 0.25
  EXPECT_DOUBLE_EQ(HistogramCountAbove(kBounds, kCumulative, 0.25), 60);            // on a bound: exact
  EXPECT_DOUBLE_EQ(HistogramCountAbove(kBounds, kCumulative, 0.05), 90 + 10 * 0.5);
  EXPECT_DOUBLE_EQ(HistogramCountAbove(kBounds, kCumulative, -1), 100);
  EXPECT_DOUBLE_EQ(HistogramCountAbove(kBounds, kCumulative, 0.75), 1 + 9 * 0.5);
  // At or beyond the last finite bound: the +inf bucket's observations count as above.
  EXPECT_DOUBLE_EQ(HistogramCountAbove(kBounds, kCumulative, 1), 1);
  EXPECT_DOUBLE_EQ(HistogramCountAbove(kBounds, kCumulative, 50), 1);
  EXPECT_EQ(HistogramCountAbove(kBounds, {0, 0, 0, 0, 0}, 0.3), 0);
  EXPECT_EQ(HistogramCountAbove({-1, 0, 1, kInf}, {5, 10, 20, 20}, -2), 20);
  EXPECT_TRUE(std::isnan(HistogramCountAbove(kBounds, kCumulative, std::nan(""))));
  EXPECT_TRUE(std::isnan(HistogramCountAbove({0.1, 1}, {1, 2}, 0.5)));
}

// The two functions invert each other inside the finite buckets.
TEST(HistogramCountAboveTest, InvertsTheQuantile) {
  for (double q = 0.01; q < 0.99; q += 0.01) {
    const double x = HistogramQuantile(kBounds, kCumulative, q);
    EXPECT_NEAR(HistogramCountAbove(kBounds, kCumulative, x), (1 - q) * 100, 1e-9) << q;
  }
}

}  // namespace
}  // namespace mlpipe::stats
