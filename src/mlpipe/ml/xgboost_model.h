// XgboostModel: gradient-boosted trees through XGBoost's C API.
//
// Objectives: binary:logistic (Task::kBinary), multi:softprob
// (Task::kMulticlass), reg:squarederror (Task::kRegression). Training builds
// each DMatrix once straight from the FeatureMatrix's float buffer
// (NaN = missing). Every XGBoost call is checked; a failure becomes
// InternalError (InvalidArgument for bad inputs) carrying XGBGetLastError().
//
// Thread-safety: a trained or loaded model is immutable; Predict and
// PredictRow may be called concurrently from many threads (XGBoost 1.7's
// in-place prediction keeps per-thread buffers; the model is configured by a
// warm-up prediction when it is created, so no lazy state is written later).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/feature_matrix.h"
#include "mlpipe/ml/task.h"

namespace mlpipe::ml {

struct XgboostParams {
  int rounds = 100;               // boosting rounds (num_boost_round)
  int max_depth = 6;
  double eta = 0.3;               // learning rate
  double subsample = 1.0;
  double colsample_bytree = 1.0;
  double min_child_weight = 1.0;
  double lambda = 1.0;            // L2 on leaf weights
  double alpha = 0.0;             // L1 on leaf weights
  std::string tree_method = "hist";
  int nthread = 0;                // 0 = XGBoost's default (all cores)
  uint64_t seed = 0;
  // Stop when the validation metric has not improved for this many rounds
  // (needs a validation set); 0 = never stop early. The returned model keeps
  // the rounds up to and including the best one.
  int early_stopping_rounds = 0;
  // "" = the objective's default (logloss, mlogloss, rmse).
  std::string eval_metric;
};

// One metric per boosting round, e.g. name "train-logloss" or "valid-rmse".
struct Curve {
  std::string name;
  std::vector<double> values;  // values[i] is after round i (0-based)
};

struct TrainSummary {
  std::vector<Curve> curves;
  int rounds_trained = 0;  // rounds actually run (fewer when stopped early)
  int best_round = -1;     // 0-based round kept last (early stopping), -1 without valid
  double train_seconds = 0;
};

class XgboostModel {
 public:
  ~XgboostModel();
  XgboostModel(const XgboostModel&) = delete;
  XgboostModel& operator=(const XgboostModel&) = delete;

  // Trains on x / y. Classification labels are class indices 0..k-1 with
  // k = y.class_labels.size() (k must be 2 for kBinary, >= 2 for
  // kMulticlass). `valid_x`/`valid_y` may both be null; when given, their
  // metric is recorded per round and drives early stopping. `summary` may
  // be null. InvalidArgument on shape mismatch or bad parameters.
  static StatusOr<std::unique_ptr<XgboostModel>> Train(const data::FeatureMatrix& x, const data::Labels& y,
                                                       Task task, const XgboostParams& params,
                                                       const data::FeatureMatrix* valid_x = nullptr,
                                                       const data::Labels* valid_y = nullptr,
                                                       TrainSummary* summary = nullptr);

  // Loads a model saved by Save (".json" or ".ubj"). NotFound if the file is
  // missing, DataLoss if XGBoost cannot parse it. `nthread` > 0 caps the
  // threads of each prediction (0 = XGBoost's default, all cores). Loads
  // into a booster handle a freed loaded model gave back when there is one
  // (booster_pool.h), and gives its own back when it is freed.
  static StatusOr<std::unique_ptr<XgboostModel>> Load(const std::string& path, Task task, size_t num_classes,
                                                      size_t num_features, int nthread = 0);

  // Writes the model; the format follows the extension (".json" or ".ubj").
  Status Save(const std::string& path) const;

  // Predicts every row of x (x.cols must equal num_features()).
  StatusOr<Predictions> Predict(const data::FeatureMatrix& x) const;

  // The fast single-row path for serving: `row` holds num_features() floats
  // (NaN = missing); writes num_outputs() floats to `out` (class
  // probabilities, or the value). No allocation beyond XGBoost's own.
  Status PredictRow(const float* row, float* out) const;
  // PredictRow for `n` rows at once (n * num_features() floats in, n *
  // num_outputs() out) in one XGBoost call.
  Status PredictRows(const float* rows, size_t n, float* out) const;

  Task task() const { return task_; }
  size_t num_features() const { return num_features_; }
  size_t num_classes() const { return num_classes_; }  // 0 for regression
  // Floats PredictRow writes: num_classes (>= 2) or 1.
  size_t num_outputs() const { return num_classes_ == 0 ? 1 : num_classes_; }

 private:
  XgboostModel(void* booster, Task task, size_t num_classes, size_t num_features);
  // Runs one prediction so XGBoost configures itself before concurrent use.
  Status WarmUp();
  // XGBoost's in-place prediction of `rows` rows; *result points into its
  // per-thread buffer (for kBinary: P(class 1) only).
  Status PredictRaw(const float* data, size_t rows, const float** result) const;

  void* booster_;  // BoosterHandle, owned
  // Given back to BoosterPool::Global() when freed (a fully loaded model);
  // otherwise freed.
  bool pooled_ = false;
  Task task_;
  size_t num_classes_;
  size_t num_features_;
};

}  // namespace mlpipe::ml
