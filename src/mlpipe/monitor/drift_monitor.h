// DriftMonitor: the state of one deployment's drift check across windows.
// It raises an alert only after `consecutive` (K) alerting windows in a row,
// once, and re-arms after a window that does not alert: so one noisy window
// never alerts, and a lasting shift alerts once rather than every window.
//
// A skipped window (too few rows, drift_window.h) says nothing about drift:
// it neither extends nor breaks the run of alerting windows.
// Not thread-safe: one monitor per deployment, fed by one thread.
#pragma once

#include <cstddef>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/monitor/drift_window.h"

namespace mlpipe::monitor {

struct DriftMonitorOptions {
  size_t consecutive = 3;  // K: alerting windows in a row before an alert; default 3
};

// InvalidArgument when consecutive is 0.
Status ValidateDriftMonitorOptions(const DriftMonitorOptions& options);

struct DriftDecision {
  enum class Kind {
    kSkipped,  // the window was skipped; nothing changes
    kOk,       // no drift (re-arms)
    kWarn,     // PSI above the warn threshold (re-arms: a warning is not an alert)
    kPending,  // alerting, but fewer than K windows in a row
    kAlert,    // the K-th alerting window in a row: raise the alert now
    kOngoing,  // still alerting after the alert was raised; raise nothing
  };
  Kind kind = Kind::kOk;
  size_t streak = 0;   // alerting windows in a row, this one included
  bool raise = false;  // kind == kAlert
  // The first non-alerting window after a raised alert: the alert is over
  // (the server records it and sets mlpipe_drift_alert back to 0).
  bool cleared = false;
  // The window's reason, with the streak for alerting windows:
  // "psi 0.31 >= 0.25 on int_rate for 3 windows".
  std::string reason;
};

// "skipped", "ok", "warn", "pending", "alert", "ongoing".
const char* DriftDecisionName(DriftDecision::Kind kind);

class DriftMonitor {
 public:
  // Precondition: options validated.
  explicit DriftMonitor(DriftMonitorOptions options = {}) : options_(options) {}

  // Feeds the next window, in time order.
  DriftDecision Observe(const DriftWindow& window);

  size_t streak() const { return streak_; }
  bool armed() const { return armed_; }  // false between an alert and the next non-alerting window

 private:
  DriftMonitorOptions options_;
  size_t streak_ = 0;
  bool armed_ = true;
};

}  // namespace mlpipe::monitor
