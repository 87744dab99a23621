// The request and response bodies of the Open Inference Protocol v2 (tabular:
// one input per feature column, like MLServer's pandas codec) and of the
// TF-Serving-style row form. Pure functions over JSON text; no I/O.
//
// Infer request:  {"id"?: "...", "inputs": [{"name": "x", "datatype": "FP64",
//                  "shape": [n] | [n, 1], "data": [...]}, ...]}
//   - every feature column of the model exactly once (extra or missing
//     inputs are errors), all with the same number of rows n >= 1;
//   - numeric features take any numeric datatype (FP64, FP32, INT64, ...),
//     categorical and date features take BYTES; null is a missing value;
//   - data may be flat or nested; its element count must equal the shape's
//     product.
// Infer response: {"model_name", "model_version", "id", "outputs": [...]}
//   classifiers: "label" BYTES [n] and "probabilities" FP32 [n, k], row-major,
//   columns in the order of the model metadata's class_labels;
//   regression:  "value" FP64 [n].
// Predict (v1):   {"instances": [{"x": 1.5, "color": "red"}, ...]}
//   -> {"predictions": [{"label": "yes", "probabilities": {"no": 0.2, "yes": 0.8}}]}
//   or {"predictions": [12.5, ...]} for regression. A feature left out of an
//   instance is a missing value (imputed as in training).
// Every error is InvalidArgument with a message fit for the client.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/table.h"
#include "mlpipe/ml/model_package.h"
#include "mlpipe/serving/served_model.h"

namespace mlpipe::serving {

// One request's rows, column-wise in the order of model.inputs().
struct ParsedRequest {
  std::string id;  // the request's "id", "" if absent
  size_t rows = 0;
  std::vector<std::vector<data::FieldValue>> columns;  // [input][row]
};

// Upper bound on rows per request; more is ResourceExhausted.
inline constexpr size_t kMaxRowsPerRequest = 100000;

StatusOr<ParsedRequest> ParseInferRequest(std::string_view body, const ServedModel& model);
StatusOr<ParsedRequest> ParsePredictRequest(std::string_view body, const ServedModel& model);

// Predicts every row: the model's predictor prepares them on this thread,
// its batcher predicts them (possibly with other requests' rows).
// InvalidArgument if a value cannot be converted; the predictor's errors
// (a command's worker died: Unavailable; timed out: DeadlineExceeded).
StatusOr<std::vector<ml::RowPrediction>> PredictRows(const ServedModel& model, const ParsedRequest& request);

// Appends the response JSON to *out.
void WriteInferResponse(const std::string& model_name, const ServedModel& model, const std::string& id,
                        const std::vector<ml::RowPrediction>& predictions, std::string* out);
void WritePredictResponse(const ServedModel& model, const std::vector<ml::RowPrediction>& predictions,
                          std::string* out);

}  // namespace mlpipe::serving
