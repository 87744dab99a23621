// The retraining-time rule: whether a pipeline's new run took too long,
// against an absolute limit and against its own recent history.
//   - over `max_duration` (when set): always an alert;
//   - more than `tolerance` above the median of the last `history` earlier
//     runs, once at least `min_history` earlier runs exist (fewer say
//     nothing about what is normal).
// Pure function; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::monitor {

struct DurationRule {
  std::optional<double> max_duration_s;  // none by default
  double tolerance = 0.2;                // 20 % above the median; default 0.2
  size_t history = 5;                    // runs the median is taken over; default 5
  size_t min_history = 3;                // earlier runs needed for the median test; default 3
};

// InvalidArgument naming the bad field (negative tolerance or limit, history
// 0, min_history > history).
Status ValidateDurationRule(const DurationRule& rule);

// `previous_s`: earlier successful runs' wall times in seconds, newest
// first. The reason when `duration_s` breaks the rule ("run took 3m12s, 31 %
// above the median 2m27s of the last 5 runs (tolerance 20 %)"), nothing
// otherwise. Precondition: rule validated.
std::optional<std::string> CheckDuration(const std::vector<double>& previous_s, double duration_s,
                                         const DurationRule& rule = {});

}  // namespace mlpipe::monitor
