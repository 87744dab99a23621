// The predictor workers' line protocol (docs/model-packages.md): one JSON
// object per line each way, over the worker's stdin and stdout.
//
//   worker, once loaded:  {"ready": true}
//   request:              {"id": 7, "rows": 2, "columns": {"x": [0.5, null], "color": ["red", "blue"]}}
//   answer:               {"id": 7, "probabilities": [[0.9, 0.1], [0.2, 0.8]]}   classification
//                         {"id": 7, "predictions": ["no", "yes"]}                 classification (one-hot)
//                         {"id": 7, "predictions": [12.5, 3.1]}                  regression
//   failure:              {"id": 7, "error": "text", "invalid_input": true?}
//
// Requests are column-major, in the order of the manifest's features: a
// column's values are one type, and a data frame is made from a mapping of
// columns (`pandas.DataFrame(request["columns"])`) faster than from rows.
// Pure functions over text; no I/O.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/table.h"
#include "mlpipe/ml/task.h"

namespace mlpipe::ml {

// Appends one request value: null (missing), a number (null if not finite)
// or a string.
void AppendRequestValue(const data::FieldValue& value, std::string* out);

// Appends the request line (with its newline). `quoted_names[c]` is column
// c's name as a JSON string literal; `parts[p][c]` holds the comma-separated
// values (AppendRequestValue) of column c of part p; the parts' rows are
// joined in order and number `rows` in all.
void AppendRequestLine(int64_t id, size_t rows, const std::vector<std::string>& quoted_names,
                       std::span<const std::vector<std::string>* const> parts, std::string* out);

// True for a line that is not a JSON object (it does not start with '{'
// after blanks): output a library printed to stdout, which the pool logs and
// skips rather than taking for an answer.
bool IsStrayLine(std::string_view line);

// The first JSON line of a worker: OK for {"ready": true, ...}; otherwise
// FailedPrecondition saying what the worker said instead (its "error" if it
// gives one).
Status ParseHandshake(std::string_view line);

// What an answer must hold.
struct AnswerShape {
  int64_t id = 0;
  size_t rows = 0;
  Task task = Task::kRegression;
  const std::vector<std::string>* class_labels = nullptr;  // classification
};

// Reads an answer into `out` (rows * k class probabilities, or rows values).
// The worker's own failure ({"error": ...}) is Internal, or InvalidArgument
// with "invalid_input": true; an answer that breaks the protocol (not JSON,
// another id, the wrong number of rows or classes, a value that is not a
// number) is DataLoss, and the worker that sent it is not trusted again.
Status ParseAnswer(std::string_view line, const AnswerShape& shape, float* out);

}  // namespace mlpipe::ml
