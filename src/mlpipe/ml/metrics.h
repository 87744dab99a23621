// Evaluation metrics for classification and regression, computed the way
// scikit-learn computes them (so figures compare with baselines.md).
//
// Class labels are indices 0..k-1 (data::Labels::y holds them as floats;
// pass them converted to int). Probabilities are row-major n x k as in
// Predictions. Binary metrics take class index 1 as the positive class.
// Metrics that are undefined for the given data (e.g. ROC AUC when y_true has
// one class only) are NaN; callers that serialise must skip NaN.
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/ml/task.h"

namespace mlpipe::ml {

// One point of a ROC curve (x = false positive rate, y = true positive rate)
// or a PR curve (x = recall, y = precision), with the score threshold at
// which it is reached (predict positive when score >= threshold).
struct CurvePoint {
  double x = 0;
  double y = 0;
  double threshold = 0;
};

// Curves are downsampled to at most this many points (first and last kept).
inline constexpr size_t kMaxCurvePoints = 200;

// ---- classification ----
double Accuracy(const std::vector<int>& y_true, const std::vector<int>& y_pred);
// Binary (num_classes == 2): of the positive class 1. Multiclass: macro
// average over the classes present in y_true or y_pred (scikit-learn's
// labels=None). A ratio with a zero denominator counts as 0.
double Precision(const std::vector<int>& y_true, const std::vector<int>& y_pred, size_t num_classes);
double Recall(const std::vector<int>& y_true, const std::vector<int>& y_pred, size_t num_classes);
double F1(const std::vector<int>& y_true, const std::vector<int>& y_pred, size_t num_classes);
// Area under the ROC curve of binary labels (0/1) against scores; ties
// count half (Mann-Whitney). NaN if only one class is present.
double BinaryRocAuc(const std::vector<int>& y_binary, const std::vector<float>& scores);
// Binary: AUC of p(class 1). Multiclass: macro one-vs-rest average over the
// classes that have both positives and negatives in y_true.
double RocAuc(const std::vector<int>& y_true, const Predictions& proba);
// Mean negative log-likelihood, probabilities clipped to [1e-15, 1-1e-15].
double LogLoss(const std::vector<int>& y_true, const Predictions& proba);
// matrix[true][predicted] counts, num_classes x num_classes.
std::vector<std::vector<int64_t>> ConfusionMatrix(const std::vector<int>& y_true,
                                                  const std::vector<int>& y_pred, size_t num_classes);
// ROC / precision-recall curves of binary labels against scores, one point
// per distinct threshold (highest first), then downsampled to kMaxCurvePoints.
// The ROC curve starts at (0, 0).
std::vector<CurvePoint> RocCurve(const std::vector<int>& y_binary, const std::vector<float>& scores);
std::vector<CurvePoint> PrCurve(const std::vector<int>& y_binary, const std::vector<float>& scores);

// ---- regression ----
double Rmse(const std::vector<float>& y_true, const std::vector<float>& y_pred);
double Mae(const std::vector<float>& y_true, const std::vector<float>& y_pred);
// 1 - SS_res / SS_tot; NaN if y_true is constant.
double R2(const std::vector<float>& y_true, const std::vector<float>& y_pred);

// ---- everything at once, for evaluate ----
struct EvaluationReport {
  Task task = Task::kRegression;
  // Scalar metrics by name: accuracy, precision, recall, f1, roc_auc,
  // log_loss (classification); rmse, mae, r2 (regression). NaN-valued
  // metrics are left out.
  std::vector<std::pair<std::string, double>> metrics;
  std::vector<std::vector<int64_t>> confusion_matrix;  // classification
  std::vector<CurvePoint> roc_curve;                   // binary only
  std::vector<CurvePoint> pr_curve;                    // binary only
  // Value of a named metric, NaN if absent.
  double Get(const std::string& name) const;
  // {"task":..., "metrics": {...}, "confusion_matrix": [[...]], "roc_curve":
  //  [{"fpr","tpr","threshold"}], "pr_curve": [{"recall","precision","threshold"}]}
  nlohmann::json ToJson() const;
};

// y_true: class indices as floats (classification) or values (regression),
// as in data::Labels::y. proba.rows must equal y_true.size().
EvaluationReport Evaluate(Task task, const std::vector<float>& y_true, const Predictions& predictions);

// One named metric (as in EvaluationReport::metrics) of `predictions`
// against `y_true`, without the curves and the other metrics: what a paired
// bootstrap computes a thousand times. NaN when the metric is undefined for
// the data or unknown for the task.
double MetricValue(const std::string& name, Task task, const std::vector<float>& y_true,
                   const Predictions& predictions);

// Whether a larger value of the named metric is better (rmse, mae,
// log_loss: no; everything else: yes).
bool HigherIsBetter(const std::string& metric);

}  // namespace mlpipe::ml
