#include "mlpipe/stats/rng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mlpipe/stats/srm.h"

namespace mlpipe::stats {
namespace {

// Reference outputs of Vigna's splitmix64.c seeded with 1234567 (the values its
// Java and C ports test against); recomputed independently with Python's
// arbitrary-precision integers:
//   M = 2**64 - 1; s = 1234567
//   s = (s + 0x9e3779b97f4a7c15) & M; z = s
//   z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
//   z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M; out = z ^ (z >> 31)
TEST(SeededRngTest, MatchesSplitMix64ReferenceStream) {
  SeededRng rng(1234567);
  EXPECT_EQ(rng.Next(), 6457827717110365317ULL);
  EXPECT_EQ(rng.Next(), 3203168211198807973ULL);
  EXPECT_EQ(rng.Next(), 9817491932198370423ULL);
  EXPECT_EQ(rng.Next(), 4593380528125082431ULL);
  EXPECT_EQ(rng.Next(), 16408922859458223821ULL);
  SeededRng zero(0);
  EXPECT_EQ(zero.Next(), 16294208416658607535ULL);
  EXPECT_EQ(zero.Next(), 7960286522194355700ULL);
}

// 60,000 draws of Below(6): a chi-square goodness of fit to the uniform
// split (the same Pearson test as the SRM check) does not reject at 0.001.
TEST(SeededRngTest, BelowIsUniformOnSmallRanges) {
  for (uint64_t n : {2u, 3u, 6u, 7u}) {
    SeededRng rng(99 + n);
    std::vector<double> counts(n, 0);
    for (int i = 0; i < 60000; ++i) {
      uint64_t k = rng.Below(n);
      ASSERT_LT(k, n);
      counts[k] += 1;
    }
    SrmResult fit = SampleRatioMismatch(counts, std::vector<double>(n, 1.0));
    EXPECT_FALSE(fit.mismatch) << "n " << n << ": " << fit.reason;
  }
}

// With n about 2/3 of 2^64, a plain Next() % n would put two thirds of the
// draws into the lower half of [0, n); the rejection step makes it one half.
TEST(SeededRngTest, BelowHasNoModuloBiasOnLargeRanges) {
  const uint64_t n = 0xAAAAAAAAAAAAAAABULL;
  SeededRng rng(5);
  int lower = 0;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) lower += rng.Below(n) < n / 2;
  // Binomial(20000, 0.5): sd 71; 0.5 +- 5 sd, far from the biased 13,333.
  EXPECT_NEAR(lower, draws / 2, 355);
}

TEST(SeededRngTest, UniformAndNormalHaveTheirMoments) {
  SeededRng rng(11);
  const int draws = 100000;
  double sum_u = 0, sum_z = 0, sum_z2 = 0;
  for (int i = 0; i < draws; ++i) {
    double u = rng.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum_u += u;
    double z = rng.Normal();
    sum_z += z;
    sum_z2 += z * z;
  }
  // Standard errors: uniform mean 0.29/sqrt(N) = 0.0009; normal mean 0.0032,
  // normal variance sqrt(2/N) = 0.0045. Tolerances are 5 of them.
  EXPECT_NEAR(sum_u / draws, 0.5, 0.0046);
  EXPECT_NEAR(sum_z / draws, 0.0, 0.016);
  EXPECT_NEAR(sum_z2 / draws, 1.0, 0.023);
}

TEST(SeededRngTest, SameSeedSameStreamOtherSeedAnother) {
  SeededRng a(77), b(77), c(78);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    double x = a.Normal();
    EXPECT_EQ(x, b.Normal());
    differs |= x != c.Normal();
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace mlpipe::stats
