// LinearModel: L2-regularised logistic regression (binary: sigmoid;
// multiclass: multinomial softmax) and ridge / least-squares regression,
// matching scikit-learn's LogisticRegression(C) and Ridge(alpha) objectives:
//   logistic: sum_i loss_i + 1/(2C) * ||W||^2  (intercepts not penalised),
//             minimised with L-BFGS to a tight tolerance;
//   ridge:    ||y - Xw - b||^2 + alpha * ||w||^2 (b not penalised), solved in
//             closed form on centred data (LDLT; alpha = 0 gives least squares
//             through a rank-revealing decomposition).
// Features must already be numeric and imputed (the transform does it):
// Train rejects NaN with InvalidArgument; Predict treats a NaN feature as 0
// (the training mean when the transform standardises).
// Deterministic: same data and params give bit-identical coefficients.
//
// Thread-safety: a trained or loaded model is immutable; Predict and
// PredictRow may be called concurrently.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"
#include "mlpipe/data/feature_matrix.h"
#include "mlpipe/ml/task.h"

namespace mlpipe::ml {

struct LinearParams {
  double c = 1.0;             // logistic: inverse regularisation strength (> 0)
  double alpha = 1.0;         // ridge: L2 strength (>= 0; 0 = ordinary least squares)
  int max_iterations = 1000;  // logistic L-BFGS iteration cap (scikit-learn's max_iter), >= 1
};

class LinearModel {
 public:
  // Classification labels are class indices 0..k-1, k = y.class_labels.size()
  // (2 for kBinary). InvalidArgument on bad shapes, labels, params or NaN.
  static StatusOr<std::unique_ptr<LinearModel>> Train(const data::FeatureMatrix& x, const data::Labels& y,
                                                      Task task, const LinearParams& params);

  // JSON form: {"format": "mlpipe.linear", "version": 1, "task", "num_features",
  // "num_classes", "coef": [[...] per output], "intercept": [...], "params"}.
  nlohmann::json ToJson() const;
  // InvalidArgument naming the bad key for a malformed document.
  static StatusOr<std::unique_ptr<LinearModel>> FromJson(const nlohmann::json& j);
  // File forms; Load: NotFound if missing, DataLoss if unparsable.
  Status Save(const std::string& path) const;
  static StatusOr<std::unique_ptr<LinearModel>> Load(const std::string& path);

  StatusOr<Predictions> Predict(const data::FeatureMatrix& x) const;
  // `row`: num_features() floats; writes num_outputs() floats to `out`.
  void PredictRow(const float* row, float* out) const;

  Task task() const { return task_; }
  size_t num_features() const { return num_features_; }
  size_t num_classes() const { return num_classes_; }  // 0 for regression
  size_t num_outputs() const { return num_classes_ == 0 ? 1 : num_classes_; }
  // Coefficients of output o (o < 1 for binary/regression, < k for multiclass).
  const std::vector<double>& coef(size_t o) const { return coef_[o]; }
  double intercept(size_t o) const { return intercept_[o]; }
  // L-BFGS iterations used (0 for regression).
  int iterations() const { return iterations_; }
  // Whether L-BFGS met its tolerance before max_iterations (regression:
  // always). Known after Train only: a loaded model says true.
  bool converged() const { return converged_; }

 private:
  LinearModel() = default;

  Task task_ = Task::kRegression;
  size_t num_features_ = 0;
  size_t num_classes_ = 0;
  // One weight vector per linear output: 1 (binary, regression) or k (multiclass).
  std::vector<std::vector<double>> coef_;
  std::vector<double> intercept_;
  LinearParams params_;
  int iterations_ = 0;
  bool converged_ = true;
};

}  // namespace mlpipe::ml
