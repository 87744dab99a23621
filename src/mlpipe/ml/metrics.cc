#include "mlpipe/ml/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include "mlpipe/base/evaluate_metrics.h"

namespace mlpipe::ml {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double SafeDiv(double a, double b) { return b == 0 ? 0.0 : a / b; }

struct ClassCounts {
  std::vector<int64_t> tp, fp, fn;
  std::set<int> present;  // classes in y_true or y_pred
};

ClassCounts Count(const std::vector<int>& y_true, const std::vector<int>& y_pred, size_t k) {
  ClassCounts c;
  c.tp.assign(k, 0);
  c.fp.assign(k, 0);
  c.fn.assign(k, 0);
  for (size_t i = 0; i < y_true.size() && i < y_pred.size(); ++i) {
    int t = y_true[i], p = y_pred[i];
    c.present.insert(t);
    c.present.insert(p);
    if (t < 0 || p < 0 || static_cast<size_t>(t) >= k || static_cast<size_t>(p) >= k) continue;
    if (t == p) {
      ++c.tp[t];
    } else {
      ++c.fp[p];
      ++c.fn[t];
    }
  }
  return c;
}

enum class Which { kPrecision, kRecall, kF1 };

double ClassScore(const ClassCounts& c, size_t cls, Which which) {
  double p = SafeDiv(c.tp[cls], c.tp[cls] + c.fp[cls]);
  double r = SafeDiv(c.tp[cls], c.tp[cls] + c.fn[cls]);
  switch (which) {
    case Which::kPrecision: return p;
    case Which::kRecall: return r;
    case Which::kF1: return SafeDiv(2.0 * c.tp[cls], 2.0 * c.tp[cls] + c.fp[cls] + c.fn[cls]);
  }
  return 0;
}

double Averaged(const std::vector<int>& y_true, const std::vector<int>& y_pred, size_t k, Which which) {
  if (k < 2) k = 2;
  ClassCounts c = Count(y_true, y_pred, k);
  if (k == 2) return ClassScore(c, 1, which);
  double sum = 0;
  size_t n = 0;
  for (int cls : c.present) {
    if (cls < 0 || static_cast<size_t>(cls) >= k) continue;
    sum += ClassScore(c, cls, which);
    ++n;
  }
  return n == 0 ? 0.0 : sum / n;
}

// Indices sorted by descending score (stable).
std::vector<size_t> OrderByScoreDesc(const std::vector<float>& scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

// Cumulative (threshold, tp, fp) at each distinct score, highest first.
struct Step {
  double threshold;
  int64_t tp, fp;
};
std::vector<Step> Steps(const std::vector<int>& y, const std::vector<float>& scores) {
  std::vector<size_t> order = OrderByScoreDesc(scores);
  std::vector<Step> steps;
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (y[order[i]] == 1) ++tp; else ++fp;
    bool last_of_tie = i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]];
    if (last_of_tie) steps.push_back({scores[order[i]], tp, fp});
  }
  return steps;
}

std::vector<CurvePoint> Downsample(std::vector<CurvePoint> points) {
  if (points.size() <= kMaxCurvePoints) return points;
  std::vector<CurvePoint> out;
  out.reserve(kMaxCurvePoints);
  const double stride = static_cast<double>(points.size() - 1) / (kMaxCurvePoints - 1);
  for (size_t i = 0; i < kMaxCurvePoints; ++i) {
    size_t idx = static_cast<size_t>(std::llround(i * stride));
    out.push_back(points[std::min(idx, points.size() - 1)]);
  }
  out.back() = points.back();
  return out;
}

std::vector<int> ToInt(const std::vector<float>& y) {
  std::vector<int> out(y.size());
  for (size_t i = 0; i < y.size(); ++i) out[i] = static_cast<int>(std::lround(y[i]));
  return out;
}

std::vector<float> Column(const Predictions& p, size_t c) {
  std::vector<float> out(p.rows);
  for (size_t r = 0; r < p.rows; ++r) out[r] = p.prob(r, c);
  return out;
}

}  // namespace

double Accuracy(const std::vector<int>& y_true, const std::vector<int>& y_pred) {
  if (y_true.empty()) return kNaN;
  size_t hit = 0;
  for (size_t i = 0; i < y_true.size() && i < y_pred.size(); ++i) hit += y_true[i] == y_pred[i];
  return static_cast<double>(hit) / y_true.size();
}

double Precision(const std::vector<int>& t, const std::vector<int>& p, size_t k) {
  return Averaged(t, p, k, Which::kPrecision);
}
double Recall(const std::vector<int>& t, const std::vector<int>& p, size_t k) {
  return Averaged(t, p, k, Which::kRecall);
}
double F1(const std::vector<int>& t, const std::vector<int>& p, size_t k) { return Averaged(t, p, k, Which::kF1); }

double BinaryRocAuc(const std::vector<int>& y, const std::vector<float>& scores) {
  // Rank-sum with average ranks for ties.
  const size_t n = y.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double pos_rank_sum = 0;
  int64_t pos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) ++j;
    double avg_rank = (static_cast<double>(i) + static_cast<double>(j)) / 2.0 + 1.0;
    for (size_t m = i; m <= j; ++m) {
      if (y[order[m]] == 1) {
        pos_rank_sum += avg_rank;
        ++pos;
      }
    }
    i = j + 1;
  }
  int64_t neg = static_cast<int64_t>(n) - pos;
  if (pos == 0 || neg == 0) return kNaN;
  return (pos_rank_sum - static_cast<double>(pos) * (pos + 1) / 2.0) / (static_cast<double>(pos) * neg);
}

double RocAuc(const std::vector<int>& y_true, const Predictions& proba) {
  if (proba.num_classes == 2) return BinaryRocAuc(y_true, Column(proba, 1));
  double sum = 0;
  size_t n = 0;
  for (size_t c = 0; c < proba.num_classes; ++c) {
    std::vector<int> yb(y_true.size());
    for (size_t i = 0; i < y_true.size(); ++i) yb[i] = y_true[i] == static_cast<int>(c);
    double auc = BinaryRocAuc(yb, Column(proba, c));
    if (std::isnan(auc)) continue;
    sum += auc;
    ++n;
  }
  return n == 0 ? kNaN : sum / n;
}

double LogLoss(const std::vector<int>& y_true, const Predictions& proba) {
  if (y_true.empty() || proba.num_classes == 0) return kNaN;
  constexpr double eps = 1e-15;
  double total = 0;
  for (size_t r = 0; r < y_true.size(); ++r) {
    double row_sum = 0;
    for (size_t c = 0; c < proba.num_classes; ++c) row_sum += std::clamp<double>(proba.prob(r, c), eps, 1 - eps);
    double p = std::clamp<double>(proba.prob(r, y_true[r]), eps, 1 - eps) / row_sum;
    total -= std::log(p);
  }
  return total / y_true.size();
}

std::vector<std::vector<int64_t>> ConfusionMatrix(const std::vector<int>& y_true, const std::vector<int>& y_pred,
                                                  size_t k) {
  std::vector<std::vector<int64_t>> m(k, std::vector<int64_t>(k, 0));
  for (size_t i = 0; i < y_true.size() && i < y_pred.size(); ++i) {
    if (y_true[i] < 0 || y_pred[i] < 0 || static_cast<size_t>(y_true[i]) >= k ||
        static_cast<size_t>(y_pred[i]) >= k) {
      continue;
    }
    ++m[y_true[i]][y_pred[i]];
  }
  return m;
}

std::vector<CurvePoint> RocCurve(const std::vector<int>& y, const std::vector<float>& scores) {
  std::vector<Step> steps = Steps(y, scores);
  if (steps.empty()) return {};
  const double p = static_cast<double>(steps.back().tp), n = static_cast<double>(steps.back().fp);
  std::vector<CurvePoint> pts;
  pts.push_back({0, 0, std::numeric_limits<double>::infinity()});
  for (const Step& s : steps) pts.push_back({SafeDiv(s.fp, n), SafeDiv(s.tp, p), s.threshold});
  return Downsample(std::move(pts));
}

std::vector<CurvePoint> PrCurve(const std::vector<int>& y, const std::vector<float>& scores) {
  std::vector<Step> steps = Steps(y, scores);
  if (steps.empty()) return {};
  const double p = static_cast<double>(steps.back().tp);
  std::vector<CurvePoint> pts;
  for (const Step& s : steps) pts.push_back({SafeDiv(s.tp, p), SafeDiv(s.tp, s.tp + s.fp), s.threshold});
  return Downsample(std::move(pts));
}

double Rmse(const std::vector<float>& t, const std::vector<float>& p) {
  if (t.empty()) return kNaN;
  double s = 0;
  for (size_t i = 0; i < t.size(); ++i) s += (double(t[i]) - p[i]) * (double(t[i]) - p[i]);
  return std::sqrt(s / t.size());
}

double Mae(const std::vector<float>& t, const std::vector<float>& p) {
  if (t.empty()) return kNaN;
  double s = 0;
  for (size_t i = 0; i < t.size(); ++i) s += std::abs(double(t[i]) - p[i]);
  return s / t.size();
}

double R2(const std::vector<float>& t, const std::vector<float>& p) {
  if (t.empty()) return kNaN;
  double mean = 0;
  for (float v : t) mean += v;
  mean /= t.size();
  double ss_res = 0, ss_tot = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    ss_res += (double(t[i]) - p[i]) * (double(t[i]) - p[i]);
    ss_tot += (double(t[i]) - mean) * (double(t[i]) - mean);
  }
  if (ss_tot == 0) return kNaN;
  return 1.0 - ss_res / ss_tot;
}

double EvaluationReport::Get(const std::string& name) const {
  for (const auto& [k, v] : metrics) {
    if (k == name) return v;
  }
  return kNaN;
}

nlohmann::json EvaluationReport::ToJson() const {
  nlohmann::json j;
  j["task"] = TaskName(task);
  nlohmann::json m = nlohmann::json::object();
  for (const auto& [k, v] : metrics) m[k] = v;
  j["metrics"] = m;
  if (task != Task::kRegression) j["confusion_matrix"] = confusion_matrix;
  if (task == Task::kBinary) {
    auto finite = [](double t) { return std::isfinite(t) ? nlohmann::json(t) : nlohmann::json(nullptr); };
    nlohmann::json roc = nlohmann::json::array(), pr = nlohmann::json::array();
    for (const CurvePoint& c : roc_curve) roc.push_back({{"fpr", c.x}, {"tpr", c.y}, {"threshold", finite(c.threshold)}});
    for (const CurvePoint& c : pr_curve) pr.push_back({{"recall", c.x}, {"precision", c.y}, {"threshold", finite(c.threshold)}});
    j["roc_curve"] = roc;
    j["pr_curve"] = pr;
  }
  return j;
}

EvaluationReport Evaluate(Task task, const std::vector<float>& y_true, const Predictions& pred) {
  EvaluationReport rep;
  rep.task = task;
  auto add = [&](const char* name, double v) {
    if (!std::isnan(v)) rep.metrics.emplace_back(name, v);
  };
  if (task == Task::kRegression) {
    add("rmse", Rmse(y_true, pred.values));
    add("mae", Mae(y_true, pred.values));
    add("r2", R2(y_true, pred.values));
    return rep;
  }
  std::vector<int> t = ToInt(y_true);
  std::vector<int> p = pred.PredictedClasses();
  const size_t k = pred.num_classes;
  add("accuracy", Accuracy(t, p));
  add("precision", Precision(t, p, k));
  add("recall", Recall(t, p, k));
  add("f1", F1(t, p, k));
  add("roc_auc", RocAuc(t, pred));
  add("log_loss", LogLoss(t, pred));
  rep.confusion_matrix = ConfusionMatrix(t, p, k);
  if (task == Task::kBinary && k == 2) {
    std::vector<float> s = Column(pred, 1);
    rep.roc_curve = RocCurve(t, s);
    rep.pr_curve = PrCurve(t, s);
  }
  return rep;
}

double MetricValue(const std::string& name, Task task, const std::vector<float>& y_true, const Predictions& pred) {
  if (task == Task::kRegression) {
    if (name == "rmse") return Rmse(y_true, pred.values);
    if (name == "mae") return Mae(y_true, pred.values);
    if (name == "r2") return R2(y_true, pred.values);
    return kNaN;
  }
  const std::vector<int> t = ToInt(y_true);
  if (name == "roc_auc") return RocAuc(t, pred);
  if (name == "log_loss") return LogLoss(t, pred);
  const std::vector<int> p = pred.PredictedClasses();
  const size_t k = pred.num_classes;
  if (name == "accuracy") return Accuracy(t, p);
  if (name == "precision") return Precision(t, p, k);
  if (name == "recall") return Recall(t, p, k);
  if (name == "f1") return F1(t, p, k);
  return kNaN;
}

bool HigherIsBetter(const std::string& metric) { return MetricHigherIsBetter(metric); }

}  // namespace mlpipe::ml
