// FeedbackStore: joins true labels sent after the fact (POST /v2/feedback)
// with the predictions the server made, by request id, so live accuracy per
// variant can be computed (classifiers: share of correct labels; regression:
// mean absolute error).
//
// Keeps the last `capacity` requests' predictions in memory (oldest dropped
// first); feedback for an older or unknown id is NotFound.
// Thread-safety: every method is thread-safe (one mutex, short sections).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

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
  // classifier, else values.
  void RecordPrediction(const std::string& id, const std::string& variant, const std::string& version,
                        std::vector<std::string> labels, std::vector<double> values);
  // Attaches the true label(s): `label` is a string / number for a one-row
  // request or an array with one entry per row. NotFound for an unknown (or
  // evicted) id; AlreadyExists if feedback was already given; InvalidArgument
  // for a wrong count or type.
  StatusOr<FeedbackMatch> AddFeedback(const std::string& id, const nlohmann::json& label);

  // Per variant name.
  std::map<std::string, VariantFeedback> Stats() const;

 private:
  struct Entry {
    std::string variant;
    std::string version;
    std::vector<std::string> labels;
    std::vector<double> values;
    bool has_feedback = false;
  };

  const size_t capacity_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::string> order_;  // insertion order, for eviction
  std::map<std::string, VariantFeedback> stats_;
};

}  // namespace mlpipe::serving
