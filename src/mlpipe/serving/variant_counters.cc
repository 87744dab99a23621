#include "mlpipe/serving/variant_counters.h"

#include <algorithm>

#include "mlpipe/serving/metrics.h"

namespace mlpipe::serving {

nlohmann::json VariantCounts::LatencyJson() const {
  const std::vector<double>& bounds = LatencyBuckets();
  nlohmann::json counts = nlohmann::json::array();
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < latency_counts.size() ? latency_counts[i] : 0;
    counts.push_back(cumulative);
  }
  return {{"le", bounds}, {"counts", counts}, {"sum", latency_sum}, {"count", cumulative}};
}

void VariantCounters::RecordRequest(const std::string& variant, int code, double seconds) {
  const std::vector<double>& bounds = LatencyBuckets();
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
  std::lock_guard<std::mutex> lock(mu_);
  VariantCounts& c = counts_[variant];
  ++c.requests;
  if (code >= 500) {
    ++c.errors;
  } else if (code >= 400) {
    ++c.client_errors;
  }
  if (c.latency_counts.empty()) c.latency_counts.assign(bounds.size() + 1, 0);
  ++c.latency_counts[bucket];
  c.latency_sum += seconds;
}

void VariantCounters::RecordClasses(const std::string& variant, const std::vector<std::string>& labels) {
  if (labels.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto& classes = counts_[variant].classes;
  for (const std::string& label : labels) ++classes[label];
}

std::map<std::string, VariantCounts> VariantCounters::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

}  // namespace mlpipe::serving
