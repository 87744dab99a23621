#include "mlpipe/stats/srm.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>

namespace mlpipe::stats {

namespace {

bool NonNegativeFinite(double x) { return x >= 0 && std::isfinite(x); }

std::string InvalidSplit(const std::vector<double>& observed, const std::vector<double>& weights) {
  if (observed.size() != weights.size()) {
    return fmt::format("{} observed counts for {} weights", observed.size(), weights.size());
  }
  double weight_sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!NonNegativeFinite(weights[i])) return fmt::format("arm {} has weight {}", i, weights[i]);
    if (!NonNegativeFinite(observed[i])) return fmt::format("arm {} has count {}", i, observed[i]);
    weight_sum += weights[i];
  }
  if (!(weight_sum > 0)) return "the weights sum to 0";
  return {};
}

}  // namespace

nlohmann::json SrmResult::ToJson() const {
  nlohmann::json j = {{"chi_square", chi_square}, {"degrees_of_freedom", degrees_of_freedom},
                      {"p_value", p_value},       {"mismatch", mismatch},
                      {"threshold", threshold},   {"reason", reason}};
  if (sequential) {
    j["test"] = "sequential (Dirichlet-multinomial mixture)";
    j["log_bayes_factor"] = log_bayes_factor;
    j["chi_square_p"] = chi_square_p;
  }
  return j;
}

SrmResult SampleRatioMismatch(const std::vector<double>& observed, const std::vector<double>& weights,
                              double threshold) {
  SrmResult result;
  result.threshold = threshold;
  if (std::string invalid = InvalidSplit(observed, weights); !invalid.empty()) {
    result.p_value = 0;
    result.mismatch = true;
    result.reason = "split cannot be checked: " + invalid;
    return result;
  }
  double total = 0, weight_sum = 0;
  int arms = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] > 0) {
      total += observed[i];
      weight_sum += weights[i];
      ++arms;
    }
  }
  result.degrees_of_freedom = arms - 1;
  if (total > 0) {
    for (size_t i = 0; i < weights.size(); ++i) {
      if (!(weights[i] > 0)) continue;
      const double expected = total * weights[i] / weight_sum;
      result.chi_square += (observed[i] - expected) * (observed[i] - expected) / expected;
    }
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] == 0 && observed[i] > 0) {
      result.p_value = 0;
      result.mismatch = true;
      result.reason = fmt::format("arm {} has weight 0 but {} observations", i, observed[i]);
      return result;
    }
  }
  if (total == 0 || arms < 2) {
    result.reason = total == 0 ? "no observations" : "fewer than two arms of positive weight";
    return result;
  }
  result.p_value = boost::math::cdf(
      boost::math::complement(boost::math::chi_squared(result.degrees_of_freedom), result.chi_square));
  result.chi_square_p = result.p_value;
  result.mismatch = result.p_value < threshold;
  result.reason =
      fmt::format("{}: chi-square {:.4g} with {} degrees of freedom, p = {:.3g} {} {}",
                  result.mismatch ? "mismatch" : "split as configured", result.chi_square,
                  result.degrees_of_freedom, result.p_value, result.mismatch ? "<" : ">=", threshold);
  return result;
}

SrmResult SequentialSampleRatioMismatch(const std::vector<double>& observed,
                                        const std::vector<double>& weights, double alpha,
                                        double concentration) {
  // Threshold 0: only invalid input or an observation on an arm of weight 0
  // is a mismatch here; the chi-square is reported, not used.
  SrmResult result = SampleRatioMismatch(observed, weights, 0);
  result.threshold = alpha;
  result.sequential = true;
  result.p_value = 1;
  // Invalid input, or an observation on an arm of weight 0: decided already.
  if (result.mismatch || result.degrees_of_freedom < 1) {
    if (result.mismatch) result.p_value = 0;
    return result;
  }
  double total = 0, weight_sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] > 0) {
      total += observed[i];
      weight_sum += weights[i];
    }
  }
  if (total == 0) return result;
  // log BF = log B(a + x) - log B(a) - sum x_i log p_i, where B is the
  // multivariate beta function and a_i = concentration * p_i.
  double log_bf = std::lgamma(concentration) - std::lgamma(concentration + total);
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] > 0)) continue;
    const double p = weights[i] / weight_sum;
    const double a = concentration * p;
    log_bf += std::lgamma(a + observed[i]) - std::lgamma(a) - observed[i] * std::log(p);
  }
  result.log_bayes_factor = log_bf;
  result.p_value = std::min(1.0, std::exp(-log_bf));
  result.mismatch = log_bf >= std::log(1 / alpha);
  result.reason = fmt::format(
      "{}: Bayes factor {:.3g} against the split (always-valid p = {:.3g} {} {}); chi-square {:.4g}, "
      "fixed-sample p = {:.3g}",
      result.mismatch ? "mismatch" : "split as configured", std::exp(log_bf), result.p_value,
      result.mismatch ? "<=" : ">", alpha, result.chi_square, result.chi_square_p);
  return result;
}

}  // namespace mlpipe::stats
