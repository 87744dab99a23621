#include "mlpipe/engine/ab_compare.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "mlpipe/base/strings.h"
#include "mlpipe/ml/metrics.h"

namespace mlpipe::engine {
namespace {

// `from` restricted to `rows` (repeats allowed), written into `to` so that a
// thousand resamples reuse one pair of buffers.
void TakeRows(const ScoredModel& from, const std::vector<uint32_t>& rows, ScoredModel* to) {
  const size_t width = std::max<size_t>(from.predictions.num_classes, 1);
  to->task = from.task;
  to->y.resize(rows.size());
  to->predictions.rows = rows.size();
  to->predictions.num_classes = from.predictions.num_classes;
  to->predictions.values.resize(rows.size() * width);
  for (size_t i = 0; i < rows.size(); ++i) {
    to->y[i] = from.y[rows[i]];
    std::copy_n(from.predictions.values.begin() + static_cast<std::ptrdiff_t>(rows[i] * width), width,
                to->predictions.values.begin() + static_cast<std::ptrdiff_t>(i * width));
  }
}

double MetricOf(const std::string& name, const ScoredModel& m) {
  return ml::MetricValue(name, m.task, m.y, m.predictions);
}

std::string Signed(double v) { return fmt::format("{:+.4f}", v); }

}  // namespace

const char* AbWinnerText(AbWinner winner) {
  switch (winner) {
    case AbWinner::kB:
      return "B better";
    case AbWinner::kA:
      return "A better";
    case AbWinner::kNone:
      return "no difference";
  }
  return "no difference";
}

const char* AbWinnerKey(AbWinner winner) {
  switch (winner) {
    case AbWinner::kB:
      return "b";
    case AbWinner::kA:
      return "a";
    case AbWinner::kNone:
      return "none";
  }
  return "none";
}

std::vector<std::string> MetricsOfTask(ml::Task task) {
  if (task == ml::Task::kRegression) return {"rmse", "mae", "r2"};
  return {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"};
}

std::vector<std::string> AllMetricNames() {
  std::vector<std::string> names = MetricsOfTask(ml::Task::kBinary);
  for (const std::string& n : MetricsOfTask(ml::Task::kRegression)) names.push_back(n);
  return names;
}

std::string DefaultPrimaryMetric(ml::Task task) {
  switch (task) {
    case ml::Task::kBinary:
      return "roc_auc";
    case ml::Task::kMulticlass:
      return "accuracy";
    case ml::Task::kRegression:
      return "rmse";
  }
  return "accuracy";
}

std::vector<std::string> DefinedMetrics(const ScoredModel& a, const ScoredModel& b) {
  std::vector<std::string> out;
  for (const std::string& name : MetricsOfTask(a.task)) {
    if (std::isfinite(MetricOf(name, a)) && std::isfinite(MetricOf(name, b))) out.push_back(name);
  }
  return out;
}

StatusOr<std::vector<AbMetric>> CompareModels(const ScoredModel& a, const ScoredModel& b,
                                              const std::vector<std::string>& metrics,
                                              const stats::BootstrapOptions& options) {
  if (a.task != b.task) {
    return InvalidArgumentError(
        fmt::format("model A is a {} model and model B a {} one: they cannot be compared",
                    ml::TaskName(a.task), ml::TaskName(b.task)));
  }
  const size_t n = a.y.size();
  if (b.y.size() != n || a.predictions.rows != n || b.predictions.rows != n) {
    return InvalidArgumentError(
        fmt::format("model A was scored on {} rows and model B on {}: the comparison is "
                    "paired, row for row",
                    a.predictions.rows, b.predictions.rows));
  }
  const std::vector<std::string> known = MetricsOfTask(a.task);
  std::vector<AbMetric> out;
  ScoredModel rows_a, rows_b;
  for (const std::string& name : metrics) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return InvalidArgumentError(fmt::format("metric '{}' is not a metric of a {} model; known: {}", name,
                                              ml::TaskName(a.task), Join(known, ", ")));
    }
    AbMetric m;
    m.name = name;
    m.higher_is_better = ml::HigherIsBetter(name);
    m.a = MetricOf(name, a);
    m.b = MetricOf(name, b);
    if (!std::isfinite(m.a) || !std::isfinite(m.b)) {
      return InvalidArgumentError(fmt::format(
          "metric '{}' is undefined on the test rows (A: {}, B: {}); e.g. roc_auc needs both classes present",
          name, m.a, m.b));
    }
    auto delta = [&](const std::vector<uint32_t>& rows) {
      TakeRows(a, rows, &rows_a);
      TakeRows(b, rows, &rows_b);
      return MetricOf(name, rows_b) - MetricOf(name, rows_a);
    };
    auto interval = stats::PairedBootstrap(n, delta, options);
    if (!interval.ok()) return interval.status().WithContext("metric " + name);
    m.delta = interval->estimate;
    m.lo = interval->lo;
    m.hi = interval->hi;
    m.resamples = interval->resamples;
    m.skipped = interval->skipped;
    const bool above = m.lo > 0, below = m.hi < 0;
    if (above || below) m.winner = above == m.higher_is_better ? AbWinner::kB : AbWinner::kA;
    out.push_back(std::move(m));
  }
  return out;
}

std::string AbVerdict(const AbMetric& primary, double confidence) {
  const std::string numbers = fmt::format("{} [{}, {}] at {:g} %", Signed(primary.delta), Signed(primary.lo),
                                          Signed(primary.hi), confidence * 100);
  switch (primary.winner) {
    case AbWinner::kB:
      return fmt::format("B beats A on {}: {}", primary.name, numbers);
    case AbWinner::kA:
      return fmt::format("A beats B on {}: {}", primary.name, numbers);
    case AbWinner::kNone:
      break;
  }
  return fmt::format("no difference on {}: {}", primary.name, numbers);
}

nlohmann::json AbMetricJson(const AbMetric& m) {
  return {{"name", m.name},
          {"higher_is_better", m.higher_is_better},
          {"a", m.a},
          {"b", m.b},
          {"delta", m.delta},
          {"lo", m.lo},
          {"hi", m.hi},
          {"better", AbWinnerKey(m.winner)},
          {"resamples", m.resamples},
          {"skipped", m.skipped}};
}

}  // namespace mlpipe::engine
