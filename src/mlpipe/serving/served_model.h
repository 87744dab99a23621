// ServedModel: one loaded, warmed model version as the server serves it: the
// ml::LoadedModel plus its version label and the Open Inference Protocol view
// of its inputs and outputs, computed once at load time so the request path
// does no per-request schema work.
//
// Immutable after Make (but for its batcher, which is thread-safe); safe to
// share across request threads. Requests hold a
// shared_ptr<const ServedModel> for their whole duration, so a hot swap never
// frees a model under a running request: the old version dies when its last
// request lets go.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/json_text.h"
#include "mlpipe/data/table.h"
#include "mlpipe/ml/model_package.h"
#include "mlpipe/serving/predict_batcher.h"

namespace mlpipe::serving {

// One input of the protocol: one feature column of the training table.
struct InputSpec {
  std::string name;
  data::ColumnType type = data::ColumnType::kNumeric;
  // "FP64" for numeric columns (any numeric datatype is accepted), "BYTES"
  // for categorical and date columns (dates as "YYYY-MM-DD" text).
  std::string datatype;
};

class ServedModel {
 public:
  // `model` must not be null. `version` is the label shown in responses and
  // headers ("4" for registry version 4, a short digest for a package path);
  // `source` says where it came from (for the status route).
  static std::shared_ptr<const ServedModel> Make(std::string version, std::string source,
                                                 std::shared_ptr<const ml::LoadedModel> model);

  const ml::LoadedModel& model() const { return *model_; }
  const std::shared_ptr<const ml::LoadedModel>& model_ptr() const { return model_; }
  const std::string& version() const { return version_; }
  const std::string& source() const { return source_; }
  bool is_classifier() const { return model_->task() != ml::Task::kRegression; }
  const std::vector<InputSpec>& inputs() const { return inputs_; }
  // The inputs' names, in inputs() order.
  const std::vector<std::string>& input_names() const { return input_names_; }
  // Index into inputs() of the input called `name`, or -1.
  int InputIndex(std::string_view name) const;
  // Class labels (classifiers) already escaped as JSON string literals.
  const std::vector<std::string>& json_labels() const { return json_labels_; }
  // Histogram upper bounds for the regression prediction-value metric (from
  // the training target's statistics when the package has them).
  const std::vector<double>& value_buckets() const { return value_buckets_; }

  // Predicts rows prepared by model().predictor(), joining concurrent
  // requests' rows into one model call.
  PredictBatcher& batcher() const { return *batcher_; }

  // The OIP model metadata object for `name`.
  nlohmann::json MetadataJson(const std::string& name) const;

 private:
  ServedModel() = default;

  std::shared_ptr<const ml::LoadedModel> model_;
  std::string version_;
  std::string source_;
  std::vector<InputSpec> inputs_;
  std::vector<std::string> input_names_;
  std::vector<std::string> json_labels_;
  std::vector<double> value_buckets_;
  std::unique_ptr<PredictBatcher> batcher_;
};

}  // namespace mlpipe::serving
