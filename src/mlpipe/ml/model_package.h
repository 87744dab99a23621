// The model package: ONE folder artifact holding everything needed to answer
// predictions on its own. A package is any folder with a manifest.json
// (model_manifest.h, docs/model-packages.md) that says how to predict:
//
//   built-in predictors (what `train` writes), with the same transform code
//   the pipeline trained with (no training/serving skew):
//     manifest.json   {format_version: 1, task, target, features, class_labels,
//                      positive_class, predictor: xgboost|linear, model_file,
//                      transform_file, schema_file, stats_file, created_by,
//                      training: {...free-form: params, metrics}}
//     model.ubj       XGBoost model in its UBJSON format (packages written
//                     before 2026-11-26: model.json, its JSON format), or
//     model.json      the linear model's JSON
//     transform.json  the fitted data::Transform
//     schema.json     data::Schema of the training data   (optional)
//     stats.json      data::TableStats of the training data (optional)
//   a command predictor (any language): manifest.json with
//     predictor: {command: [python3, predict.py], ...} and whatever files the
//     command reads (a pickled model, its code), run as worker processes in
//     the package folder (command_predictor.h).
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/schema.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/data/table.h"
#include "mlpipe/data/transform.h"
#include "mlpipe/ml/linear_model.h"
#include "mlpipe/ml/model_manifest.h"
#include "mlpipe/ml/predictor.h"
#include "mlpipe/ml/task.h"
#include "mlpipe/ml/worker_launcher.h"
#include "mlpipe/ml/xgboost_model.h"

namespace mlpipe::ml {

// What SaveModelPackage writes. Exactly one of xgboost / linear is set.
// Pointers are borrowed for the duration of the call.
struct ModelPackageContents {
  Task task = Task::kRegression;
  const data::Transform* transform = nullptr;
  const XgboostModel* xgboost = nullptr;
  const LinearModel* linear = nullptr;
  const data::Schema* schema = nullptr;     // optional
  const data::TableStats* stats = nullptr;  // optional
  std::string created_by;
  nlohmann::json training = nlohmann::json::object();
};

// Writes the package into `dir`, which must not exist yet (AlreadyExists
// otherwise). Files are written into DIR.tmp, which is then renamed to DIR,
// so a crash never leaves a half package under the final name.
Status SaveModelPackage(const std::string& dir, const ModelPackageContents& contents);

// One row's answer.
struct RowPrediction {
  std::string label;                 // classification: the predicted class
  std::vector<float> probabilities;  // classification: parallel to class_labels
  double value = 0;                  // regression: the prediction
};

struct LoadOptions {
  // Threads of one prediction (XGBoost's nthread); 0 = all cores. The model
  // server uses 1: its requests already run in parallel, and waking a thread
  // pool for one row costs more than the row.
  int predict_threads = 0;
  // Read stats.json (the training data's column statistics, the reference
  // for drift checks). The model server does not: it needs only the
  // schema, and the statistics are most of a package's JSON to parse.
  bool stats = true;
  // Command predictors: how their workers are started (null: real
  // processes) and where their stderr lines and events go (null: stderr).
  WorkerLauncher* launcher = nullptr;
  std::function<void(const std::string&)> log = nullptr;
};

// A loaded package. Immutable; every method is safe to call concurrently
// (the server shares one instance across request threads). A command
// package's workers run as long as the LoadedModel lives.
class LoadedModel {
 public:
  const ModelManifest& manifest() const { return manifest_; }
  Task task() const { return manifest_.task; }
  // The input columns, in the order the predictor takes them (built-ins:
  // the transform's inputs; commands: the manifest's features).
  const std::vector<data::InputColumn>& inputs() const { return inputs_; }
  const Predictor& predictor() const { return *predictor_; }
  // The fitted transform of a built-in predictor; null for a command.
  const data::Transform* transform() const { return transform_; }
  const data::Schema* schema() const { return schema_ ? &*schema_ : nullptr; }
  // Null when the package has none or it was loaded without (LoadOptions::stats).
  const data::TableStats* stats() const { return stats_ ? &*stats_ : nullptr; }

  // Predictions for every row of `table` (matched by column name; the
  // target and extra columns are ignored). InvalidArgument if a feature
  // column is missing or a value cannot be converted; a command's errors
  // as Predictor::Run.
  StatusOr<Predictions> Predict(const data::Table& table) const;
  // The class label of each row of `p` (classification), empty otherwise.
  std::vector<std::string> Labels(const Predictions& p) const;
  // The target column of `table` as the model's labels: class indexes into
  // class_labels (a number is matched by its text), or the values.
  // InvalidArgument naming the row for a missing value or an unknown class.
  StatusOr<data::Labels> EncodeTargets(const data::Table& table) const;

  // One row given by name (number or string; absent = missing).
  // InvalidArgument for an unconvertible value.
  StatusOr<RowPrediction> PredictRow(const std::vector<std::pair<std::string, data::FieldValue>>& row) const;
  // The prediction of one row's predictor outputs (num_outputs() floats).
  RowPrediction PredictionOf(const float* outputs) const;
  size_t num_outputs() const { return predictor_->num_outputs(); }

 private:
  friend StatusOr<std::shared_ptr<const LoadedModel>> LoadModelPackage(const std::string& dir,
                                                                      const LoadOptions& options);
  LoadedModel() = default;

  ModelManifest manifest_;
  std::vector<data::InputColumn> inputs_;
  std::unique_ptr<Predictor> predictor_;
  const data::Transform* transform_ = nullptr;  // owned by predictor_
  std::optional<data::Schema> schema_;
  std::optional<data::TableStats> stats_;
};

// Loads and warms a package (a command's workers are started and ready).
// NotFound if `dir` is missing, or has no manifest.json (saying what to
// write in one); DataLoss if a file is damaged or inconsistent (feature
// count, classes); InvalidArgument for an unsupported format_version or a
// manifest that says no usable predictor; a command's start errors as
// WorkerPool::Start.
StatusOr<std::shared_ptr<const LoadedModel>> LoadModelPackage(const std::string& dir,
                                                             const LoadOptions& options = {});

// The manifest of the package at `dir`: NotFound (saying what to add) if it
// has none, DataLoss if it is not valid JSON or not a valid manifest.
StatusOr<ModelManifest> ReadModelManifest(const std::string& dir);

// What can be known of a package without running its code: the manifest,
// and for a built-in predictor that its files load. Errors as
// LoadModelPackage. Used before registering a package.
Status CheckModelPackage(const std::string& dir);

}  // namespace mlpipe::ml
