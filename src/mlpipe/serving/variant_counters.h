// VariantCounters: cumulative per-variant counters since the process
// started, for a rollout controller that reads GET /v2/deployments/NAME/stats
// twice and takes the differences (a smaller value than before, or a new
// started_ns, means the server restarted). Per variant: model-route requests
// by outcome (2xx/3xx, 4xx, 5xx), their randomization units (distinct sticky
// keys per deployment revision, and requests without a key), their latency in
// the Prometheus buckets of LatencyBuckets(), and the predicted classes
// (classifiers).
//
// Thread-safety: every method is thread-safe (one short mutex per call).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace mlpipe::serving {

struct VariantCounts {
  uint64_t requests = 0;                       // model-route answers
  uint64_t units = 0;                          // of those, the first of a sticky key, or without a key
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
  // The most sticky keys remembered for `units`; past it the set starts again
  // (about 50 MB at most).
  static constexpr size_t kMaxUnitKeys = 1'000'000;

  // One answered request routed to `variant` ("" = none: unknown model, no
  // live version). `unit_key`: the request's sticky key when the split routed
  // it by one; the request is a new unit when the key was not seen under
  // deployment revision `revision` (the set of keys seen starts again when
  // the revision changes), or when it has no key.
  void RecordRequest(const std::string& variant, int code, double seconds, std::string_view unit_key = {},
                     std::string_view revision = {});
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
  std::string unit_revision_;               // the revision unit_keys_ belong to
  std::unordered_set<uint64_t> unit_keys_;  // hashes of the sticky keys seen under it
};

}  // namespace mlpipe::serving
