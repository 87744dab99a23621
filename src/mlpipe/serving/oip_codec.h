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
//     product; or, with the binary tensor extension (oip_binary.h), an
//     input's "parameters": {"binary_data_size": K} takes its data from the
//     binary tail of the body instead;
//   - "outputs"?: [{"name": "label", "parameters"?: {"binary_data": true}}]
//     names the outputs to return, in the order asked (an unknown name or
//     one asked twice is an error; the "classification" parameter is not
//     supported); without it, every output in the model's order;
//   - "parameters"?: {"binary_data_output": true} answers the outputs not
//     named otherwise as binary tensors.
// Infer response: {"model_name", "model_version", "id", "outputs": [...]}
//   classifiers: "label" BYTES [n] and "probabilities" FP32 [n, k], row-major,
//   columns in the order of the model metadata's class_labels;
//   regression:  "value" FP64 [n]. A binary output carries "parameters":
//   {"binary_data_size": K} instead of "data", its bytes after the JSON.
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

// The outputs a model answers: classifiers "label", "probabilities";
// regression "value".
enum class OutputName { kLabel, kProbabilities, kValue };
struct RequestedOutput {
  OutputName name = OutputName::kLabel;
  bool binary = false;  // answered as a binary tensor
};
// The model's outputs in its order (as its metadata lists them).
std::vector<OutputName> ModelOutputs(const ServedModel& model);
std::string_view OutputNameText(OutputName name);

// One request's rows, column-wise in the order of model.inputs().
struct ParsedRequest {
  std::string id;  // the request's "id", "" if absent
  size_t rows = 0;
  std::vector<std::vector<data::FieldValue>> columns;  // [input][row]
  // Infer requests: the outputs to answer, in order (never empty); the
  // predict (v1) form: empty.
  std::vector<RequestedOutput> outputs;
};

// Upper bound on rows per request; more is ResourceExhausted.
inline constexpr size_t kMaxRowsPerRequest = 100000;

// `json_size`: the size of the JSON header when the body uses the binary
// tensor extension (the Inference-Header-Content-Length field); npos when
// the whole body is JSON.
StatusOr<ParsedRequest> ParseInferRequest(std::string_view body, const ServedModel& model,
                                          size_t json_size = std::string_view::npos);
StatusOr<ParsedRequest> ParsePredictRequest(std::string_view body, const ServedModel& model);

// Predicts every row: the model's predictor prepares them on this thread,
// its batcher predicts them (possibly with other requests' rows).
// InvalidArgument if a value cannot be converted; the predictor's errors
// (a command's worker died: Unavailable; timed out: DeadlineExceeded).
StatusOr<std::vector<ml::RowPrediction>> PredictRows(const ServedModel& model, const ParsedRequest& request);

// Appends the response to *out: its JSON, then the binary outputs' bytes.
// Returns the JSON's size (the answer's Inference-Header-Content-Length)
// when an output is binary, else 0.
size_t WriteInferResponse(const std::string& model_name, const ServedModel& model,
                          const ParsedRequest& request, const std::vector<ml::RowPrediction>& predictions,
                          std::string* out);
void WritePredictResponse(const ServedModel& model, const std::vector<ml::RowPrediction>& predictions,
                          std::string* out);

}  // namespace mlpipe::serving
