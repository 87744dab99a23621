#include "mlpipe/monitor/log_drift.h"

namespace mlpipe::monitor {

StatusOr<LogDrift> DriftOfLogWindow(const std::string& dir, const data::TableStats& reference,
                                    LogWindowOptions log, const DriftOptions& drift) {
  if (Status s = ValidateDriftOptions(drift); !s.ok()) return s;
  if (log.column_types.empty()) log.column_types = ColumnTypesOf(reference);
  StatusOr<PredictionWindow> read = ReadPredictionWindow(dir, log);
  if (!read.ok()) return read.status();
  LogDrift out;
  out.window = ComputeDriftWindow(reference, read->features, drift);
  out.counts = std::move(read->counts);
  return out;
}

}  // namespace mlpipe::monitor
