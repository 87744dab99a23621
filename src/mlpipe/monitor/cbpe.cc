#include "mlpipe/monitor/cbpe.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "mlpipe/ml/metrics.h"

namespace mlpipe::monitor {
namespace {

constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

// Area under the expected ROC curve: thresholds from the highest score
// down, one point per distinct score.
double ExpectedAuc(std::vector<double> p) {
  std::sort(p.begin(), p.end(), std::greater<>());
  const double positives = std::accumulate(p.begin(), p.end(), 0.0);
  const double negatives = static_cast<double>(p.size()) - positives;
  if (!(positives > 0) || !(negatives > 0)) return kUndefined;
  double tp = 0, fp = 0, area = 0;
  for (size_t i = 0; i < p.size();) {
    const double prev_tpr = tp / positives, prev_fpr = fp / negatives;
    size_t j = i;
    for (; j < p.size() && p[j] == p[i]; ++j) {
      tp += p[j];
      fp += 1 - p[j];
    }
    area += (fp / negatives - prev_fpr) * (tp / positives + prev_tpr) / 2;
    i = j;
  }
  return area;
}

}  // namespace

PerformanceFigures EstimatePerformance(const std::vector<double>& scores, double threshold) {
  PerformanceFigures f;
  f.rows = scores.size();
  if (scores.empty()) {
    f.accuracy = f.roc_auc = f.positive_rate = kUndefined;
    return f;
  }
  std::vector<double> p(scores.size());
  double correct = 0, sum = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    p[i] = std::clamp(scores[i], 0.0, 1.0);
    correct += p[i] > threshold ? p[i] : 1 - p[i];
    sum += p[i];
  }
  const double n = static_cast<double>(scores.size());
  f.accuracy = correct / n;
  f.positive_rate = sum / n;
  f.roc_auc = ExpectedAuc(std::move(p));
  return f;
}

PerformanceFigures RealisedPerformance(const std::vector<double>& scores, const std::vector<int>& labels,
                                       double threshold) {
  PerformanceFigures f;
  f.rows = scores.size();
  if (scores.empty()) {
    f.accuracy = f.roc_auc = f.positive_rate = kUndefined;
    return f;
  }
  double correct = 0, positives = 0;
  std::vector<float> s(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    correct += (scores[i] > threshold) == (labels[i] == 1) ? 1 : 0;
    positives += labels[i] == 1 ? 1 : 0;
    s[i] = static_cast<float>(scores[i]);
  }
  const double n = static_cast<double>(scores.size());
  f.accuracy = correct / n;
  f.positive_rate = positives / n;
  f.roc_auc = ml::BinaryRocAuc(labels, s);
  return f;
}

}  // namespace mlpipe::monitor
