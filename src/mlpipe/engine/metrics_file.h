// Reading the metrics a step reports. Two ways, both recorded:
//  - the MLPIPE_METRICS file: either one JSON object of name -> number, or
//    JSON lines {"name": ..., "value": ..., "step": optional int} (curves);
//  - an output of type `metrics`: a JSON object of name -> number (nested
//    objects flatten to "a.b"; non-numbers are ignored).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::engine {

struct MetricPoint {
  std::string name;
  double value = 0;
  std::optional<int64_t> step;  // iteration index for curves
};

// Parses the text of an MLPIPE_METRICS file. InvalidArgument naming the line
// for malformed content.
StatusOr<std::vector<MetricPoint>> ParseMetricsText(const std::string& text);

// Reads a metrics file; a missing file is no metrics, not an error.
StatusOr<std::vector<MetricPoint>> ReadMetricsFile(const std::string& path);

// Reads a `metrics` output: a JSON object (a non-JSON file gives no metrics).
std::vector<MetricPoint> ReadMetricsOutput(const std::string& path);

// A step's metrics from its `metrics` outputs and from MLPIPE_METRICS. Both
// often report the same final value, the output nested one object deep
// ("metrics.accuracy" where MLPIPE_METRICS says "accuracy", as the evaluate
// built-in writes them): when exactly one output point is such a copy of a
// reported point, it is dropped for the reported one (two candidates are
// ambiguous: both kept). Everything else is kept, the output points first.
std::vector<MetricPoint> MergeReportedMetrics(std::vector<MetricPoint> from_outputs,
                                              const std::vector<MetricPoint>& reported);

}  // namespace mlpipe::engine
