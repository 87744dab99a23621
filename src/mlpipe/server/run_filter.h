// The runs list's `filter` parameter (GET /api/v1/runs?filter=...): MLflow's
// search syntax, which ML engineers already read, limited to what the record
// holds:
//   params.lr = 0.1 and metrics.evaluate.accuracy >= 0.9 and params.optimizer = 'adam'
// Conditions joined by `and` (any case); each a key (`params.NAME` or
// `metrics.NAME` / `metrics.STEP.NAME`; `param.` and `metric.` too), an
// operator (`=` or `==`, `!=`, `<`, `<=`, `>`, `>=`) and a value (a number, a
// 'quoted' or "quoted" string, a bare word, true or false).
#pragma once

#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/run_condition.h"

namespace mlpipe::server {

// The conditions of `text` ("" or only spaces: none). InvalidArgument naming
// the bad part and its column: "parameter 'filter': expected an operator
// (=, !=, <, <=, >, >=) after 'params.lr' at column 11, got '~'".
StatusOr<std::vector<metadata::RunCondition>> ParseRunFilter(std::string_view text);

}  // namespace mlpipe::server
