// One drift window straight from a deployment's prediction log: the rows
// logged in [from, to) (prediction_log_reader.h), typed by the reference
// statistics, compared with them (drift_window.h). What the server's drift
// monitor runs each interval before feeding DriftMonitor.
// Reads files only; thread-safe.
#pragma once

#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/monitor/drift_window.h"
#include "mlpipe/monitor/prediction_log_reader.h"

namespace mlpipe::monitor {

struct LogDrift {
  DriftWindow window;
  LogReadCounts counts;  // what the read left out (shadow lines, torn or bad lines)
};

// `log.column_types` is filled from `reference` when empty. Errors: those of
// ReadPredictionWindow, and InvalidArgument for bad drift options.
StatusOr<LogDrift> DriftOfLogWindow(const std::string& dir, const data::TableStats& reference,
                                    LogWindowOptions log, const DriftOptions& drift = {});

}  // namespace mlpipe::monitor
