// FeedbackStore: joins true labels sent after the fact (POST /v2/feedback)
// with the predictions the server made, by request id, so live accuracy per
// variant can be computed (classifiers: share of correct labels; regression:
// mean absolute error). A shadow's predictions of the same request are joined
// too, so a label counts for the variant that answered and for the shadow:
// both are scored on the same requests.
//
// Keeps the last `capacity` requests' predictions in memory (oldest dropped
// first); feedback for an older or unknown id is NotFound.
// Thread-safety: every method is thread-safe (one mutex, short sections).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::serving {

struct VariantFeedback {
  bool classifier = true;
  uint64_t predictions = 0;  // rows predicted (since start)
  uint64_t feedback = 0;     // rows with a true label
  uint64_t correct = 0;      // classifiers: label == prediction
  double abs_error_sum = 0;  // regression: sum |label - prediction|
  // Classifiers: correct / feedback; regression: mean absolute error. NaN if no feedback.
  double Score() const;
};

// What a feedback call matched.
struct FeedbackMatch {
  std::string variant;
  std::string version;
  size_t rows = 0;
  size_t correct = 0;  // classifiers
};

class FeedbackStore {
 public:
  explicit FeedbackStore(size_t capacity = 100000) : capacity_(capacity) {}

  // Remembers request `id`'s predictions (one per row): class labels for a
  // classifier, else values. A reused id replaces the earlier request while
  // it has no feedback; once it has, the id is spent: the later request is
  // counted as predictions but never scored (each id's labels count once).
  void RecordPrediction(const std::string& id, const std::string& variant, const std::string& version,
                        std::vector<std::string> labels, std::vector<double> values);
  // Remembers a shadow's predictions of request `id` (already recorded by
  // RecordPrediction; an evicted or unknown id is ignored). If the label came
  // first, they are scored at once.
  void RecordShadowPrediction(const std::string& id, const std::string& variant, const std::string& version,
                              std::vector<std::string> labels, std::vector<double> values);
  // Attaches the true label(s): `label` is a string / number for a one-row
  // request or an array with one entry per row. NotFound for an unknown (or
  // evicted) id; AlreadyExists if feedback was already given; InvalidArgument
  // for a wrong count or type. The match names the answering variant; the
  // shadow's predictions are scored as well.
  StatusOr<FeedbackMatch> AddFeedback(const std::string& id, const nlohmann::json& label);

  // Per variant name.
  std::map<std::string, VariantFeedback> Stats() const;

 private:
  struct Prediction {
    std::string variant;
    std::string version;
    std::vector<std::string> labels;
    std::vector<double> values;
  };
  struct Entry {
    Prediction answered;
    std::vector<Prediction> shadows;  // not scored yet
    bool has_feedback = false;
    std::vector<nlohmann::json> given;  // the labels, once feedback came
    bool reused = false;                // a later request reused the id after its feedback
  };
  // Scores `p` against `given` (one label per row) into stats_; the number
  // of correct rows (classifiers) and the sum of absolute errors.
  StatusOr<std::pair<size_t, double>> Score(const Prediction& p, const std::vector<nlohmann::json>& given);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::string> order_;  // insertion order, for eviction
  std::map<std::string, VariantFeedback> stats_;
};

}  // namespace mlpipe::serving
