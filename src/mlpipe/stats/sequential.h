// An always-valid sequential test of a difference between two arms: the
// canary's judgement of a candidate (treatment) against the champion
// (control) on live numbers, looked at after every analysis interval.
//
// Why sequential: a rollout controller peeks. A fixed-horizon z-test read
// at every look rejects a true null far more often than its alpha (12 % of
// simulated A/A rollouts at 40 looks for a nominal 5 %, sequential_test.cc);
// the mixture sequential probability ratio test (mSPRT: Robbins 1970; Johari, Koomen,
// Pekelis, Walsh, "Peeking at A/B tests", KDD 2017) keeps its level however
// often and whenever it is read, and needs no sample size up front.
//
// The test, as implemented (docs/statistics.md has the derivation):
//   estimate  d = mean(t) - mean(c)
//   variance  V = var_t / n_t + var_c / n_c, with each arm's unbiased sample
//             variance, except for 0/1 arms (ArmSample::Proportion), whose
//             variance is p~(1 - p~) with p~ = (x + 0.5) / (n + 1): never 0,
//             so an arm with no error yet does not make the first error look
//             like infinite evidence.
//   z         (d - margin) / sqrt(V) for Side::kGreater, (margin - d) / sqrt(V)
//             for kLess: positive on the alternative's side.
//   mixture   effect delta ~ N(0, tau^2) folded onto the alternative's side
//             (a half-normal, density 2 phi(delta / tau) / tau for delta > 0):
//             Lambda = 2 sqrt(V / (V + tau^2)) exp(tau^2 x^2 / (2 V (V + tau^2)))
//                      Phi(tau x / sqrt(V (V + tau^2))),  x = z sqrt(V).
//             Each likelihood ratio of a mean margin + delta (delta > 0)
//             against margin is a martingale at the boundary of H0 and a
//             supermartingale inside it, so their mixture is too, and Ville's
//             inequality bounds P(Lambda ever >= 1 / alpha) by alpha.
//   tau       options.tau, or by default 0.1 sigma with sigma^2 the
//             observation-weighted mean of the two arms' variances: the test
//             is tuned for effects of about a tenth of one observation's
//             standard deviation (for a 1 % error rate about one percentage
//             point, for an accuracy of 0.8 about four points), and the
//             test does not depend on the metric's units.
// The likelihood ratio is computed in logs and capped at e^700 (finite, so
// it serialises); p_value = min(1, 1 / Lambda).
//
// The normal approximation wants enough observations: below min_n in either
// arm the look is not judged (Lambda = 1). Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mlpipe::stats {

struct ArmSample {      // sufficient statistics of one arm in the window
  double n = 0;         // observations
  double sum = 0;       // sum of values (successes for a proportion)
  double sum_sq = 0;    // sum of squares (== sum for 0/1 data)
  bool binary = false;  // 0/1 values: the test smooths the variance (set by Proportion)
  static ArmSample Proportion(double n, double successes);
  double Mean() const;      // 0 when n == 0
  double Variance() const;  // unbiased sample variance; 0 when n < 2
  nlohmann::json ToJson() const;
};

enum class Side { kGreater, kLess };  // the alternative: (treatment - control) > margin, or < margin

struct SequentialOptions {
  double alpha = 0.05;  // the test's level under continuous monitoring; in (0, 1)
  double tau = 0;       // mixture standard deviation of the effect; 0 = 0.1 sigma (see above); >= 0
  double min_n = 30;    // below this many observations in either arm: not judged (likelihood ratio 1)
};

struct SequentialResult {
  double estimate = 0;          // mean(treatment) - mean(control)
  double std_error = 0;         // sqrt(var_t/n_t + var_c/n_c)
  double z = 0;                 // (estimate - margin) / std_error, signed for `side`
  double tau = 0;               // the mixture standard deviation used (options.tau or the default)
  double likelihood_ratio = 1;  // the mixture likelihood ratio Lambda_n (1 when not judged)
  double p_value = 1;           // min(1, 1 / Lambda_n): always valid for this look alone
  bool judged = false;          // both arms had min_n (and the options were valid)
  bool reject = false;          // Lambda_n >= 1 / alpha (the one-sided alternative holds)
  std::string reason;           // why not judged, or the verdict in words
  nlohmann::json ToJson() const;
};

// H0: (treatment - control) <= margin (Side::kGreater) or >= margin (kLess). One-sided: the likelihood ratio
// counts only an estimate on the alternative's side (the half-normal mixture above). Invalid options (alpha
// outside (0, 1), tau < 0 or NaN, min_n < 0, negative counts, a proportion's successes outside [0, n])
// give judged = false with the reason.
SequentialResult SequentialTest(const ArmSample& treatment, const ArmSample& control, double margin,
                                Side side, const SequentialOptions& options = {});
// The always-valid p-value across looks is the running minimum of each look's p_value: callers keep it.

std::string_view SideName(Side side);  // "greater" | "less"

}  // namespace mlpipe::stats
