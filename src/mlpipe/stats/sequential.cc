#include "mlpipe/stats/sequential.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <cmath>

namespace mlpipe::stats {

namespace {

constexpr double kMaxLogLikelihoodRatio = 700;  // e^700 < DBL_MAX: finite, serialisable
constexpr double kDefaultTauInSigmas = 0.1;

// The variance the test uses for one arm: smoothed for 0/1 data (see the header).
double TestVariance(const ArmSample& arm) {
  if (!arm.binary) return arm.Variance();
  const double p = (arm.sum + 0.5) / (arm.n + 1);
  return p * (1 - p);
}

std::string InvalidReason(const ArmSample& treatment, const ArmSample& control, double margin,
                          const SequentialOptions& options) {
  if (!std::isfinite(margin)) return fmt::format("margin {} is not finite", margin);
  if (!(options.alpha > 0 && options.alpha < 1))
    return fmt::format("alpha {} is not in (0, 1)", options.alpha);
  if (!(options.tau >= 0) || std::isinf(options.tau)) return fmt::format("tau {} is not >= 0", options.tau);
  if (!(options.min_n >= 0)) return fmt::format("min_n {} is not >= 0", options.min_n);
  for (const ArmSample* arm : {&treatment, &control}) {
    if (!(arm->n >= 0) || !std::isfinite(arm->sum) || !(arm->sum_sq >= 0) || std::isinf(arm->n) ||
        std::isinf(arm->sum_sq) || (arm->binary && !(arm->sum >= 0 && arm->sum <= arm->n))) {
      return fmt::format("{} has invalid counts (n {}, sum {}, sum_sq {})",
                         arm == &treatment ? "treatment" : "control", arm->n, arm->sum, arm->sum_sq);
    }
  }
  return {};
}

}  // namespace

ArmSample ArmSample::Proportion(double n, double successes) {
  return ArmSample{.n = n, .sum = successes, .sum_sq = successes, .binary = true};
}

double ArmSample::Mean() const { return n > 0 ? sum / n : 0; }

double ArmSample::Variance() const {
  if (n < 2) return 0;
  const double mean = sum / n;
  return std::max(0.0, (sum_sq - n * mean * mean) / (n - 1));
}

nlohmann::json ArmSample::ToJson() const {
  return {{"n", n}, {"sum", sum}, {"sum_sq", sum_sq}, {"binary", binary}};
}

nlohmann::json SequentialResult::ToJson() const {
  return {{"estimate", estimate},
          {"std_error", std_error},
          {"z", z},
          {"tau", tau},
          {"likelihood_ratio", likelihood_ratio},
          {"p_value", p_value},
          {"judged", judged},
          {"reject", reject},
          {"reason", reason}};
}

std::string_view SideName(Side side) { return side == Side::kGreater ? "greater" : "less"; }

SequentialResult SequentialTest(const ArmSample& treatment, const ArmSample& control, double margin,
                                Side side, const SequentialOptions& options) {
  SequentialResult result;
  if (std::string invalid = InvalidReason(treatment, control, margin, options); !invalid.empty()) {
    result.reason = "not judged: " + invalid;
    return result;
  }
  const double var_t = TestVariance(treatment), var_c = TestVariance(control);
  result.estimate = treatment.Mean() - control.Mean();
  if (treatment.n > 0 && control.n > 0) {
    result.std_error = std::sqrt(var_t / treatment.n + var_c / control.n);
    const double sigma2 = (treatment.n * var_t + control.n * var_c) / (treatment.n + control.n);
    result.tau = options.tau > 0 ? options.tau : kDefaultTauInSigmas * std::sqrt(sigma2);
  }
  const double signed_diff = side == Side::kGreater ? result.estimate - margin : margin - result.estimate;
  if (result.std_error > 0) result.z = signed_diff / result.std_error;

  if (treatment.n < options.min_n || control.n < options.min_n) {
    result.reason =
        fmt::format("not judged: {} observations of the treatment and {} of the control; {} each are needed",
                    treatment.n, control.n, options.min_n);
    return result;
  }
  if (!(result.std_error > 0) || !(result.tau > 0)) {
    result.reason = "not judged: the difference has no variance (every value the same in both arms)";
    return result;
  }
  result.judged = true;
  const double v = result.std_error * result.std_error;
  const double tau2 = result.tau * result.tau;
  const double x = signed_diff;
  const boost::math::normal_distribution<double> standard_normal;
  const double log_lr =
      std::log(2.0) + 0.5 * std::log(v / (v + tau2)) + tau2 * x * x / (2 * v * (v + tau2)) +
      std::log(boost::math::cdf(standard_normal, result.tau * x / std::sqrt(v * (v + tau2))));
  result.likelihood_ratio = std::exp(std::min(log_lr, kMaxLogLikelihoodRatio));
  result.p_value = result.likelihood_ratio > 1 ? 1 / result.likelihood_ratio : 1;
  result.reject = result.likelihood_ratio >= 1 / options.alpha;
  result.reason = fmt::format("{}: likelihood ratio {:.4g} {} 1/alpha = {:.4g} (estimate {:+.4g}, z {:.3g})",
                              result.reject ? "reject" : "no decision", result.likelihood_ratio,
                              result.reject ? ">=" : "<", 1 / options.alpha, result.estimate, result.z);
  return result;
}

}  // namespace mlpipe::stats
