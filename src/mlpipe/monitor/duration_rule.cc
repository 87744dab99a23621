#include "mlpipe/monitor/duration_rule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "mlpipe/base/strings.h"

namespace mlpipe::monitor {
namespace {

std::string Seconds(double s) { return FormatDuration(static_cast<int64_t>(std::llround(s * 1e9))); }

}  // namespace

Status ValidateDurationRule(const DurationRule& rule) {
  if (!(rule.tolerance >= 0))
    return InvalidArgumentError(fmt::format("tolerance must be >= 0, got {:g}", rule.tolerance));
  if (rule.max_duration_s && !(*rule.max_duration_s > 0)) {
    return InvalidArgumentError(fmt::format("max_duration must be > 0, got {:g}s", *rule.max_duration_s));
  }
  if (rule.history == 0) return InvalidArgumentError("history must be at least 1 run");
  if (rule.min_history > rule.history) {
    return InvalidArgumentError(
        fmt::format("min_history ({}) must not exceed history ({})", rule.min_history, rule.history));
  }
  return OkStatus();
}

std::optional<std::string> CheckDuration(const std::vector<double>& previous_s, double duration_s,
                                         const DurationRule& rule) {
  if (rule.max_duration_s && duration_s > *rule.max_duration_s) {
    return fmt::format("run took {}, over max_duration {}", Seconds(duration_s),
                       Seconds(*rule.max_duration_s));
  }
  const size_t n = std::min(previous_s.size(), rule.history);
  if (n < std::max<size_t>(rule.min_history, 1)) return std::nullopt;
  std::vector<double> recent(previous_s.begin(), previous_s.begin() + static_cast<std::ptrdiff_t>(n));
  std::sort(recent.begin(), recent.end());
  const double median = n % 2 == 1 ? recent[n / 2] : (recent[n / 2 - 1] + recent[n / 2]) / 2;
  if (!(median > 0) || duration_s <= median * (1 + rule.tolerance)) return std::nullopt;
  return fmt::format("run took {}, {:.0f} % above the median {} of the last {} runs (tolerance {:.0f} %)",
                     Seconds(duration_s), (duration_s / median - 1) * 100, Seconds(median), n,
                     rule.tolerance * 100);
}

}  // namespace mlpipe::monitor
