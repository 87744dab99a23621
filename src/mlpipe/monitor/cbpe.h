// Confidence-based performance estimation (CBPE, as NannyML's): the
// expected performance of a binary classifier on live traffic, from its own
// positive-class probabilities alone, before any label arrives. If the
// scores are calibrated (of the rows scored p, a share p is positive), row
// i is positive with probability p_i, so
//   expected accuracy = mean_i (p_i if predicted positive else 1 - p_i);
//   at each score threshold s, the expected confusion matrix is
//   TP(s) = sum_{p_i >= s} p_i, FP(s) = sum_{p_i >= s} (1 - p_i), with
//   P = sum_i p_i and N = sum_i (1 - p_i) -> expected ROC curve
//   (FP/N, TP/P) from (0, 0) -> its area (trapezoids; ties count half,
//   as ml::BinaryRocAuc).
// The estimate is as good as the calibration: a model whose scores are not
// calibrated on the live population (calibration drift, label shift) is
// estimated wrongly, which the realised metric, once feedback labels
// arrive, shows beside it.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <vector>

namespace mlpipe::monitor {

// The model's decision: a row is predicted positive when its score is above
// the threshold (at 0.5, the argmax of the two class probabilities that the
// built-in predictors report as the label).
inline constexpr double kDefaultThreshold = 0.5;

struct PerformanceFigures {
  size_t rows = 0;
  double accuracy = 0;       // NaN without rows
  double roc_auc = 0;        // NaN without rows, or when one class is (expected to be) absent
  double positive_rate = 0;  // estimate: mean score (expected prevalence); realised: share of positive labels
};

// Expected figures of calibrated positive-class probabilities (in [0, 1];
// others are clamped).
PerformanceFigures EstimatePerformance(const std::vector<double>& scores,
                                       double threshold = kDefaultThreshold);

// The realised figures of the same scores once labels (0/1, parallel to
// scores) are known. Precondition: labels.size() == scores.size().
PerformanceFigures RealisedPerformance(const std::vector<double>& scores, const std::vector<int>& labels,
                                       double threshold = kDefaultThreshold);

}  // namespace mlpipe::monitor
