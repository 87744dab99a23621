#include "mlpipe/monitor/performance_window.h"

#include <fmt/format.h>

#include <map>
#include <utility>

#include "mlpipe/data/number.h"

namespace mlpipe::monitor {
namespace {

// A label as text: strings as they are, numbers in shortest form ("1").
std::string LabelText(const nlohmann::json& label) {
  if (label.is_string()) return label.get<std::string>();
  if (label.is_number()) return data::FormatNumber(label.get<double>());
  if (label.is_boolean()) return label.get<bool>() ? "true" : "false";
  return label.dump();
}

}  // namespace

StatusOr<PerformanceComparison> ComparePerformance(const std::vector<LoggedPrediction>& predictions,
                                                   const std::vector<FeedbackEntry>& feedback,
                                                   const BinaryClassifier& model) {
  PerformanceComparison c;
  // Request (id, variant) -> the scores of its rows, in row order.
  std::map<std::pair<std::string, std::string>, std::vector<double>> requests;
  std::vector<double> all;
  for (const LoggedPrediction& p : predictions) {
    if (p.probabilities.size() <= model.positive_index) {
      ++c.without_probabilities;
      continue;
    }
    const double score = p.probabilities[model.positive_index];
    all.push_back(score);
    std::vector<double>& rows = requests[{p.id, p.variant}];
    if (rows.size() <= p.row) rows.resize(p.row + 1, -1);
    rows[p.row] = score;
  }
  if (all.empty() && !predictions.empty()) {
    return FailedPreconditionError(fmt::format(
        "no logged row has a probability at index {}: not a binary classifier's log", model.positive_index));
  }
  c.estimated = EstimatePerformance(all, model.threshold);
  std::vector<double> scores;
  std::vector<int> labels;
  for (const FeedbackEntry& f : feedback) {
    auto it = requests.end();
    if (!f.variant.empty()) {
      it = requests.find({f.id, f.variant});
    } else {
      it = requests.lower_bound({f.id, ""});
      if (it != requests.end() && it->first.first != f.id) it = requests.end();
    }
    if (it == requests.end()) {
      ++c.unmatched_feedback;
      continue;
    }
    if (it->second.size() != f.labels.size()) {
      ++c.mismatched_rows;
      continue;
    }
    for (size_t r = 0; r < f.labels.size(); ++r) {
      if (it->second[r] < 0) continue;  // that row was not read
      scores.push_back(it->second[r]);
      labels.push_back(LabelText(f.labels[r]) == model.positive_label ? 1 : 0);
    }
  }
  c.estimated_labelled = EstimatePerformance(scores, model.threshold);
  c.realised = RealisedPerformance(scores, labels, model.threshold);
  return c;
}

}  // namespace mlpipe::monitor
