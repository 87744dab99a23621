// Estimated beside realised performance of a binary classifier over one
// window of its prediction log: CBPE (cbpe.h) from the logged positive-class
// probabilities of every row, and, for the rows whose request got feedback
// labels, the realised figures with the estimate over those same rows, so
// the two are compared on equal terms.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/monitor/cbpe.h"
#include "mlpipe/monitor/prediction_log_reader.h"

namespace mlpipe::monitor {

struct BinaryClassifier {
  std::string positive_label;  // the positive class as labels are written ("bad", "1")
  size_t positive_index = 1;   // its index in the logged probabilities (ml: class 1 is positive)
  double threshold = kDefaultThreshold;
};

struct PerformanceComparison {
  PerformanceFigures estimated;           // every row with probabilities
  PerformanceFigures estimated_labelled;  // the rows with a feedback label
  PerformanceFigures realised;            // the same rows, from their labels
  size_t without_probabilities = 0;       // rows skipped: no probability at positive_index
  size_t unmatched_feedback = 0;          // feedback entries for requests not in the window
  size_t mismatched_rows = 0;  // feedback entries whose label count differs from the request's rows
};

// Feedback is matched to predictions by request id (and variant, when the
// feedback names one). FailedPrecondition when no row has a probability at
// positive_index (not a binary classifier's log).
StatusOr<PerformanceComparison> ComparePerformance(const std::vector<LoggedPrediction>& predictions,
                                                   const std::vector<FeedbackEntry>& feedback,
                                                   const BinaryClassifier& model);

}  // namespace mlpipe::monitor
