// Reading the metrics a step reports. Two ways, both recorded:
//  - the MLPIPE_METRICS file: either one JSON object of name -> value, or
//    JSON lines, each {"name": ..., "value": ..., "step": optional int} (a
//    point; several with steps make a curve) or an object of name -> value;
//  - an output of type `metrics`: a JSON object of name -> value.
// Values: a number is recorded as is; true/false as 1/0; a nested object
// flattens to "a.b". Anything else (a string, null, a list) is not a number:
// in MLPIPE_METRICS it is reported as a warning naming the key, as is a line
// that is not a JSON object, and reading goes on (a step never fails for its
// metrics); in a `metrics` output it is ignored (such files often carry
// labels and settings beside the numbers). docs/pipeline-spec.md#metrics.
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

// A value or line of a MLPIPE_METRICS file that was not recorded.
struct MetricWarning {
  std::string metric;   // the key ("model", "nested.label"); "" for a line that names none
  std::string message;  // "metric 'model' is a string (\"xgb\"), not a number: not recorded"
};

// What a MLPIPE_METRICS file holds: the points, and the warnings.
struct ReportedMetrics {
  std::vector<MetricPoint> points;
  std::vector<MetricWarning> warnings;
};

// Parses the text of an MLPIPE_METRICS file.
ReportedMetrics ParseMetricsText(const std::string& text);

// Reads a metrics file; a missing file is no metrics, not an error.
ReportedMetrics ReadMetricsFile(const std::string& path);

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
