#include "mlpipe/monitor/drift_monitor.h"

#include <fmt/format.h>

namespace mlpipe::monitor {

Status ValidateDriftMonitorOptions(const DriftMonitorOptions& options) {
  if (options.consecutive == 0) return InvalidArgumentError("consecutive windows must be at least 1");
  return OkStatus();
}

const char* DriftDecisionName(DriftDecision::Kind kind) {
  using K = DriftDecision::Kind;
  switch (kind) {
    case K::kSkipped:
      return "skipped";
    case K::kOk:
      return "ok";
    case K::kWarn:
      return "warn";
    case K::kPending:
      return "pending";
    case K::kAlert:
      return "alert";
    case K::kOngoing:
      return "ongoing";
  }
  return "?";
}

DriftDecision DriftMonitor::Observe(const DriftWindow& window) {
  using K = DriftDecision::Kind;
  DriftDecision d;
  if (window.skipped) {
    d.kind = K::kSkipped;
    d.streak = streak_;
    d.reason = "window skipped: " + window.reason;
    return d;
  }
  if (window.level != DriftLevel::kAlert) {
    streak_ = 0;
    d.cleared = !armed_;
    armed_ = true;
    d.kind = window.level == DriftLevel::kWarn ? K::kWarn : K::kOk;
    d.reason = window.reason;
    return d;
  }
  ++streak_;
  d.streak = streak_;
  d.reason = fmt::format("{} for {} window{}", window.reason, streak_, streak_ == 1 ? "" : "s");
  if (!armed_) {
    d.kind = K::kOngoing;
  } else if (streak_ >= options_.consecutive) {
    d.kind = K::kAlert;
    d.raise = true;
    armed_ = false;
  } else {
    d.kind = K::kPending;
  }
  return d;
}

}  // namespace mlpipe::monitor
