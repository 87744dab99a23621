#include "mlpipe/monitor/ks_pvalue.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mlpipe::monitor {
namespace {

// Reference values from SciPy 1.10.1 (Debian 12 python3-scipy), computed with:
//
//   import numpy as np
//   from scipy import stats
//   rng = np.random.default_rng(7)
//   for n, m, shift in [(10, 10, 0.5), (20, 35, 0.3), (100, 250, 0.2), (500, 9857, 0.1), (3000, 4000, 0.05)]:
//       x = rng.normal(0, 1, n); y = rng.normal(shift, 1, m)
//       r = stats.ks_2samp(x, y, method='exact')
//       print(f"exact n={n} m={m} d={r.statistic!r} p={r.pvalue!r}")
//   for n, m, d in [(20000, 500, 0.06), (100000, 1000, 0.043), (50000, 50000, 0.01), (12000, 11000, 0.02)]:
//       en = n * m / (n + m)   # ks_2samp(method='asymp') computes exactly this:
//       print(f"asymp n={n} m={m} d={d} p={stats.kstwo.sf(d, np.round(en))!r}")
//   for x in [0.3, 0.8, 1.0, 1.1799, 1.18, 1.36, 2.0, 3.0]:
//       print(f"kstwobign x={x} sf={stats.kstwobign.sf(x)!r}")
//
// Output:
//   exact n=10 m=10 d=0.4 p=0.41752365281777043
//   exact n=20 m=35 d=0.45 p=0.007702268527840998
//   exact n=100 m=250 d=0.22 p=0.001698726717381555
//   exact n=500 m=9857 d=0.09773176422846708 p=0.0002076879016809623
//   exact n=3000 m=4000 d=0.02808333333333333 p=0.13165778201054376
//   asymp n=20000 m=500 d=0.06 p=0.057170131441310446
//   asymp n=100000 m=1000 d=0.043 p=0.04992411807670327
//   asymp n=50000 m=50000 d=0.01 p=0.013385458636528774
//   asymp n=12000 m=11000 d=0.02 p=0.02000810268540017
//   kstwobign x=0.3 sf=0.9999906941986655
//   kstwobign x=0.8 sf=0.5441424115741981
//   kstwobign x=1.0 sf=0.26999967167735456
//   kstwobign x=1.1799 sf=0.12351204971188676
//   kstwobign x=1.18 sf=0.1234538094297657
//   kstwobign x=1.36 sf=0.049485876755377876
//   kstwobign x=2.0 sf=0.0006709252557796953
//   kstwobign x=3.0 sf=3.045995948942526e-08

// A statistic, the two sample sizes and SciPy's p-value.
struct KsCase {
  double d;
  uint64_t n, m;
  double p;
};

TEST(KsPValueTest, KolmogorovSurvivalMatchesScipyKstwobign) {
  const std::pair<double, double> cases[] = {
      {0.3, 0.9999906941986655},     {0.8, 0.5441424115741981},    {1.0, 0.26999967167735456},
      {1.1799, 0.12351204971188676}, {1.18, 0.1234538094297657},   {1.36, 0.049485876755377876},
      {2.0, 0.0006709252557796953},  {3.0, 3.045995948942526e-08},
  };
  for (auto [x, sf] : cases) {
    EXPECT_NEAR(KolmogorovSurvival(x), sf, 1e-12 + 1e-10 * sf) << "x=" << x;
  }
  EXPECT_EQ(KolmogorovSurvival(0), 1.0);
  EXPECT_EQ(KolmogorovSurvival(-1), 1.0);
}

TEST(KsPValueTest, ExactMatchesScipyKs2sampExact) {
  const KsCase cases[] = {
      {0.4, 10, 10, 0.41752365281777043},
      {0.45, 20, 35, 0.007702268527840998},
      {0.22, 100, 250, 0.001698726717381555},
      {0.09773176422846708, 500, 9857, 0.0002076879016809623},
      {0.02808333333333333, 3000, 4000, 0.13165778201054376},
  };
  for (const KsCase& c : cases) {
    const double p = KsPValue(c.d, c.n, c.m, KsMethod::kExact);
    EXPECT_NEAR(p, c.p, 1e-12 + 1e-8 * c.p) << c.n << "x" << c.m;
    // The sizes are symmetric.
    EXPECT_NEAR(KsPValue(c.d, c.m, c.n, KsMethod::kExact), p, 1e-12 + 1e-8 * c.p);
    // kAuto picks the exact method at these sizes (max <= 10,000).
    EXPECT_EQ(KsPValue(c.d, c.n, c.m), p);
  }
}

TEST(KsPValueTest, AsymptoticIsWithinOnePercentOfScipyAsymp) {
  const KsCase cases[] = {
      {0.06, 20000, 500, 0.057170131441310446},
      {0.043, 100000, 1000, 0.04992411807670327},
      {0.01, 50000, 50000, 0.013385458636528774},
      {0.02, 12000, 11000, 0.02000810268540017},
  };
  for (const KsCase& c : cases) {
    EXPECT_NEAR(KsPValue(c.d, c.n, c.m, KsMethod::kAsymptotic), c.p, 0.01 * c.p) << c.n << "x" << c.m;
    // kAuto picks the asymptotic method above 10,000.
    EXPECT_EQ(KsPValue(c.d, c.n, c.m), KsPValue(c.d, c.n, c.m, KsMethod::kAsymptotic));
  }
}

TEST(KsPValueTest, EdgeCases) {
  EXPECT_TRUE(std::isnan(KsPValue(0.5, 0, 10)));
  EXPECT_TRUE(std::isnan(KsPValue(NAN, 10, 10)));
  EXPECT_EQ(KsPValue(0, 10, 10), 1.0);
  EXPECT_EQ(KsPValue(1.5, 10, 10), 0.0);
  // d = 1 with n = m = 1: the two values always differ, so D = 1 always.
  EXPECT_NEAR(KsPValue(1.0, 1, 1, KsMethod::kExact), 1.0, 1e-12);
  // n = m = 2, d = 1: of the C(4, 2) = 6 orderings, xxyy and yyxx reach 1.
  EXPECT_NEAR(KsPValue(1.0, 2, 2, KsMethod::kExact), 2.0 / 6.0, 1e-12);
  // Far in the tail kAuto answers with the asymptotic value (no 10^8-cell
  // lattice for d = 0.5 at 10,000 a side).
  EXPECT_EQ(KsPValue(0.5, 10000, 10000), KsPValue(0.5, 10000, 10000, KsMethod::kAsymptotic));
  EXPECT_LT(KsPValue(0.5, 10000, 10000), 1e-100);
  // Larger statistics are less likely.
  EXPECT_GT(KsPValue(0.1, 300, 400), KsPValue(0.2, 300, 400));
}

}  // namespace
}  // namespace mlpipe::monitor
