// Sample ratio mismatch (SRM): is traffic split between the arms of a
// deployment as configured? A split that is off (a sticky key that is not
// random, a variant that crashes and loses its requests, a bot on one arm)
// biases every comparison of the arms, so the rollout halts instead of
// judging.
//
// Pearson's chi-square goodness of fit of the observed counts to the
// configured weights: expected_i = N w_i / sum(w) over the arms with weight
// > 0, chi2 = sum (o_i - e_i)^2 / e_i with k - 1 degrees of freedom (k arms
// of positive weight), p = P(chi2_{k-1} >= chi2) (Boost.Math; the same as
// scipy.stats.chisquare). The default threshold 0.001 is the usual one for
// SRM (Fabijan et al., "Diagnosing sample ratio mismatch in online controlled
// experiments", KDD 2019): the check runs at every look, and a strict
// threshold keeps false halts rare while a real mismatch, which grows with
// traffic, still shows within a few windows.
//
// The check runs at every look of a rollout step, and a fixed-sample p-value
// looked at again and again rejects far more often than its threshold says.
// SequentialSampleRatioMismatch is the version a rollout uses: the
// Dirichlet-multinomial mixture likelihood ratio of Lindon & Malek
// ("Anytime-valid inference for multinomial count data", NeurIPS 2022). Under
// the configured split the Bayes factor is a martingale, so by Ville's
// inequality it ever reaches 1/alpha with probability at most alpha, however
// many looks there are; p = min(1, 1/BF) is an always-valid p-value.
// Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mlpipe::stats {

struct SrmResult {
  double chi_square = 0;
  int degrees_of_freedom = 0;
  double p_value = 1;       // the chi-square's; the sequential test's 1/BF (capped at 1)
  double chi_square_p = 1;  // the chi-square's fixed-sample p (the same as p_value for the chi-square test)
  bool sequential = false;  // a SequentialSampleRatioMismatch result
  double log_bayes_factor = 0;  // the sequential test's statistic (natural log)
  bool mismatch = false;        // p_value < threshold
  double threshold = 0.001;
  std::string reason;  // the verdict in words (which arm, what was expected)
  nlohmann::json ToJson() const;
};

// Pearson's chi-square goodness of fit of `observed` counts to the split `weights` (>= 0, positive sum; arms
// with weight 0 are left out, and an observation on a 0-weight arm is a mismatch by itself: p_value 0).
// No observations, or fewer than two arms of positive weight: nothing to test, no mismatch. Invalid input
// (sizes differ, a negative or non-finite weight or count, weights summing to 0): a mismatch with the reason,
// since the split cannot be checked.
SrmResult SampleRatioMismatch(const std::vector<double>& observed, const std::vector<double>& weights,
                              double threshold = 0.001);

// The anytime-valid test (see above): mismatch when the mixture Bayes factor
// of the observed counts against the split reaches 1 / `alpha`. The prior is a
// Dirichlet centred on the split, with `concentration` pseudo-observations
// (larger: more power against small deviations, less against large ones).
// The chi-square is still computed and reported (chi_square, chi_square_p).
// The same input rules as SampleRatioMismatch.
SrmResult SequentialSampleRatioMismatch(const std::vector<double>& observed,
                                        const std::vector<double>& weights, double alpha = 0.001,
                                        double concentration = 100);

}  // namespace mlpipe::stats
