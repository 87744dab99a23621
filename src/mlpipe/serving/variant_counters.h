// VariantCounters: cumulative per-variant counters since the process
// started, for a rollout controller that reads GET /v2/deployments/NAME/stats
// twice and takes the differences (a smaller value than before, or a new
// started_ns, means the server restarted). Per variant: model-route requests
// by outcome (2xx/3xx, 4xx, 5xx), their latency in the Prometheus buckets of
// LatencyBuckets(), and the predicted classes (classifiers).
//
// Thread-safety: every method is thread-safe (one short mutex per call).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mlpipe::serving {

struct VariantCounts {
  uint64_t requests = 0;                       // model-route answers
  uint64_t errors = 0;                         // answers >= 500
  uint64_t client_errors = 0;                  // answers 400..499
  std::vector<uint64_t> latency_counts;        // per LatencyBuckets() bound, not cumulative; + one for +Inf
  double latency_sum = 0;                      // seconds
  std::vector<uint64_t> model_latency_counts;  // the prediction call alone; as latency_counts
  double model_latency_sum = 0;                // seconds
  uint64_t dropped = 0;                        // shadow copies dropped (queue full, no live model)
  std::map<std::string, uint64_t> classes;     // predicted class -> rows

  // {"le": [bounds], "counts": [cumulative, one per bound, then +Inf], "sum": s, "count": n}.
  nlohmann::json LatencyJson() const;
  nlohmann::json ModelLatencyJson() const;  // the same shape, of model_latency_counts
};

class VariantCounters {
 public:
  // One answered request routed to `variant` ("" = none: unknown model, no
  // live version).
  void RecordRequest(const std::string& variant, int code, double seconds);
  // The time of one request's prediction call (or a shadow copy's).
  void RecordModelLatency(const std::string& variant, double seconds);
  // A shadow copy that was not predicted (the shadow queue was full, or the
  // shadow had no live model).
  void RecordDropped(const std::string& variant);
  // Predicted classes of one request's rows.
  void RecordClasses(const std::string& variant, const std::vector<std::string>& labels);
  // A copy of every variant's counts.
  std::map<std::string, VariantCounts> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, VariantCounts> counts_;
};

}  // namespace mlpipe::serving
