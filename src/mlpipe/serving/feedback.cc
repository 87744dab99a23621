#include "mlpipe/serving/feedback.h"

#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace mlpipe::serving {

double VariantFeedback::Score() const {
  if (feedback == 0) return std::numeric_limits<double>::quiet_NaN();
  if (classifier) return static_cast<double>(correct) / static_cast<double>(feedback);
  return abs_error_sum / static_cast<double>(feedback);
}

void FeedbackStore::RecordPrediction(const std::string& id, const std::string& variant,
                                     const std::string& version, std::vector<std::string> labels,
                                     std::vector<double> values) {
  std::lock_guard<std::mutex> lock(mu_);
  VariantFeedback& vs = stats_[variant];
  vs.classifier = values.empty();
  vs.predictions += vs.classifier ? labels.size() : values.size();
  auto [it, inserted] = entries_.try_emplace(id);
  if (!inserted && it->second.has_feedback) {
    // A reused id whose feedback came: its labels were counted once, and
    // stay the only ones (a second /v2/feedback is AlreadyExists); this
    // request is counted as a prediction but joined to nothing, nor are its
    // shadow copies.
    it->second.reused = true;
    return;
  }
  // Until feedback comes, the latest request with the id is the one it joins.
  it->second = Entry{};
  it->second.answered = Prediction{variant, version, std::move(labels), std::move(values)};
  if (inserted) {
    order_.push_back(id);
    while (order_.size() > capacity_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
  }
}

namespace {

// The text of a label given as a string or a number ("1" for 1 or 1.0).
StatusOr<std::string> LabelText(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_number_integer()) return std::to_string(j.get<int64_t>());
  if (j.is_number()) {
    double v = j.get<double>();
    if (v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
    return fmt::format("{}", v);
  }
  if (j.is_boolean()) return std::string(j.get<bool>() ? "true" : "false");
  return InvalidArgumentError("a label must be a string or a number");
}

}  // namespace

void FeedbackStore::RecordShadowPrediction(const std::string& id, const std::string& variant,
                                           const std::string& version, std::vector<std::string> labels,
                                           std::vector<double> values) {
  std::lock_guard<std::mutex> lock(mu_);
  VariantFeedback& vs = stats_[variant];
  vs.classifier = values.empty();
  vs.predictions += vs.classifier ? labels.size() : values.size();
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  Prediction p{variant, version, std::move(labels), std::move(values)};
  if (it->second.reused) return;  // a copy of a request that reused a scored id
  if (it->second.has_feedback) {
    (void)Score(p, it->second.given);  // a shadow that disagrees on the row count is not scored
  } else {
    it->second.shadows.push_back(std::move(p));
  }
}

StatusOr<std::pair<size_t, double>> FeedbackStore::Score(const Prediction& p,
                                                         const std::vector<nlohmann::json>& given) {
  const bool classifier = p.values.empty();
  const size_t rows = classifier ? p.labels.size() : p.values.size();
  if (given.size() != rows) {
    return InvalidArgumentError(fmt::format("it had {} rows; got {} labels", rows, given.size()));
  }
  size_t correct = 0;
  double abs_err = 0;
  for (size_t r = 0; r < rows; ++r) {
    if (classifier) {
      ASSIGN_OR_RETURN(std::string text, LabelText(given[r]));
      if (text == p.labels[r]) ++correct;
    } else {
      if (!given[r].is_number()) return InvalidArgumentError("a regression label must be a number");
      abs_err += std::abs(given[r].get<double>() - p.values[r]);
    }
  }
  VariantFeedback& vs = stats_[p.variant];
  vs.feedback += rows;
  vs.correct += correct;
  vs.abs_error_sum += abs_err;
  return std::make_pair(correct, abs_err);
}

StatusOr<FeedbackMatch> FeedbackStore::AddFeedback(const std::string& id, const nlohmann::json& label) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return NotFoundError("no recent prediction with id '" + id + "'");
  Entry& e = it->second;
  if (e.has_feedback) {
    return AlreadyExistsError(
        "feedback for request '" + id +
        "' was already given: an id's labels count once (give each request its own id)");
  }
  std::vector<nlohmann::json> given;
  if (label.is_array()) {
    given.assign(label.begin(), label.end());
  } else {
    given.push_back(label);
  }
  auto scored = Score(e.answered, given);
  if (!scored.ok()) return scored.status().WithContext("request '" + id + "'");
  const Prediction& a = e.answered;
  FeedbackMatch m{a.variant, a.version, a.values.empty() ? a.labels.size() : a.values.size(), scored->first};
  for (const Prediction& shadow : e.shadows) (void)Score(shadow, given);
  e.shadows.clear();
  e.has_feedback = true;
  e.given = std::move(given);
  return m;
}

std::map<std::string, VariantFeedback> FeedbackStore::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace mlpipe::serving
