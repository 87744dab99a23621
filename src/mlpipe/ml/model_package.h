// The model package: ONE folder artifact holding everything a server needs
// to answer predictions on its own, with the same transform code the
// pipeline trained with (no training/serving skew).
//
// Layout (names fixed here, nowhere else):
//   manifest.json   {format_version: 1, task: binary|multiclass|regression,
//                    target, features: [{name, type}] (input columns),
//                    class_labels, positive_class, predictor: xgboost|linear,
//                    model_file, transform_file, schema_file, stats_file,
//                    created_by, training: {...free-form: params, metrics}}
//   model.ubj       XGBoost model in its UBJSON format (packages written
//                   before 2026-11-26: model.json, its JSON format), or
//   model.json      the linear model's JSON
//   transform.json  the fitted data::Transform
//   schema.json     data::Schema of the training data   (optional)
//   stats.json      data::TableStats of the training data (optional)
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"
#include "mlpipe/data/schema.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/data/table.h"
#include "mlpipe/data/transform.h"
#include "mlpipe/ml/linear_model.h"
#include "mlpipe/ml/task.h"
#include "mlpipe/ml/xgboost_model.h"

namespace mlpipe::ml {

inline constexpr const char* kManifestFile = "manifest.json";
// The model file a package is written with, by predictor. XGBoost's UBJSON
// loads about 8x faster than its text JSON (1.8 vs 14 ms for 100 trees of
// depth 6): a hot swap's load competes with requests for the CPU.
inline constexpr const char* kXgboostModelFile = "model.ubj";
inline constexpr const char* kLinearModelFile = "model.json";
inline constexpr int kModelPackageFormatVersion = 1;

struct FeatureInfo {
  std::string name;
  std::string type;  // "numeric", "categorical", "date"
};

struct ModelManifest {
  int format_version = kModelPackageFormatVersion;
  Task task = Task::kRegression;
  std::string target;
  std::vector<FeatureInfo> features;
  std::vector<std::string> class_labels;
  std::string positive_class;  // binary: class_labels[1]; else ""
  std::string predictor;       // "xgboost" or "linear"
  std::string model_file = kLinearModelFile;  // kXgboostModelFile for XGBoost
  std::string transform_file = "transform.json";
  std::string schema_file;     // "" when absent
  std::string stats_file;      // "" when absent
  std::string created_by;
  nlohmann::json training = nlohmann::json::object();

  nlohmann::json ToJson() const;
  // InvalidArgument naming the bad key.
  static StatusOr<ModelManifest> FromJson(const nlohmann::json& j);
};

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
};

// A loaded package. Immutable; every method is safe to call concurrently
// (the server shares one instance across request threads).
class LoadedModel {
 public:
  const ModelManifest& manifest() const { return manifest_; }
  const data::Transform& transform() const { return *transform_; }
  const data::Schema* schema() const { return schema_ ? &*schema_ : nullptr; }
  // Null when the package has none or it was loaded without (LoadOptions::stats).
  const data::TableStats* stats() const { return stats_ ? &*stats_ : nullptr; }
  Task task() const { return manifest_.task; }

  // Predictions for every row of `table` (matched by column name; the
  // target and extra columns are ignored). InvalidArgument if a feature
  // column is missing or a value cannot be converted.
  StatusOr<Predictions> Predict(const data::Table& table, data::ApplyReport* report = nullptr) const;
  // The class label of each row of `p` (classification), empty otherwise.
  std::vector<std::string> Labels(const Predictions& p) const;

  // The fast single-row path for the server: feature name -> value (number
  // or string; absent = missing). InvalidArgument for an unconvertible value.
  StatusOr<RowPrediction> PredictRow(const std::vector<std::pair<std::string, data::FieldValue>>& row,
                                     data::ApplyReport* report = nullptr) const;

  // PredictRow in three parts, so that a caller can predict the rows of many
  // requests in one model call (the server's batcher):
  // the features of one row, written to *features (num_features() floats);
  Status RowFeatures(const std::vector<std::pair<std::string, data::FieldValue>>& row, std::vector<float>* features,
                     data::ApplyReport* report = nullptr) const;
  // the outputs of `rows` rows of features, num_outputs() floats per row
  // (class probabilities, or the value);
  Status PredictFeatures(const float* features, size_t rows, float* out) const;
  // and the prediction of one row's outputs.
  RowPrediction PredictionOf(const float* outputs) const;
  size_t num_features() const;
  size_t num_outputs() const;

 private:
  friend StatusOr<std::shared_ptr<const LoadedModel>> LoadModelPackage(const std::string& dir,
                                                                      const LoadOptions& options);
  LoadedModel() = default;
  StatusOr<Predictions> PredictMatrix(const data::FeatureMatrix& x) const;

  ModelManifest manifest_;
  std::unique_ptr<data::Transform> transform_;
  std::unique_ptr<XgboostModel> xgboost_;
  std::unique_ptr<LinearModel> linear_;
  std::optional<data::Schema> schema_;
  std::optional<data::TableStats> stats_;
};

// Loads and warms a package. NotFound if `dir` or its manifest is missing;
// DataLoss if a file is damaged or inconsistent (feature count, classes);
// InvalidArgument for an unsupported format_version.
StatusOr<std::shared_ptr<const LoadedModel>> LoadModelPackage(const std::string& dir,
                                                             const LoadOptions& options = {});

}  // namespace mlpipe::ml
