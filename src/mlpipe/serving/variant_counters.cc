#include "mlpipe/serving/variant_counters.h"

#include <algorithm>
#include <functional>

#include "mlpipe/serving/metrics.h"

namespace mlpipe::serving {

namespace {

// {"le", "counts" (cumulative, then +Inf), "sum", "count"} of per-bucket counts.
nlohmann::json BucketJson(const std::vector<uint64_t>& per_bucket, double sum) {
  const std::vector<double>& bounds = LatencyBuckets();
  nlohmann::json counts = nlohmann::json::array();
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    cumulative += i < per_bucket.size() ? per_bucket[i] : 0;
    counts.push_back(cumulative);
  }
  return {{"le", bounds}, {"counts", counts}, {"sum", sum}, {"count", cumulative}};
}

// Adds one observation of `seconds` to per-bucket counts (sized on first use).
void AddToBuckets(std::vector<uint64_t>* per_bucket, double seconds) {
  const std::vector<double>& bounds = LatencyBuckets();
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
  if (per_bucket->empty()) per_bucket->assign(bounds.size() + 1, 0);
  ++(*per_bucket)[bucket];
}

}  // namespace

nlohmann::json VariantCounts::LatencyJson() const { return BucketJson(latency_counts, latency_sum); }

nlohmann::json VariantCounts::ModelLatencyJson() const {
  return BucketJson(model_latency_counts, model_latency_sum);
}

void VariantCounters::RecordRequest(const std::string& variant, int code, double seconds,
                                    std::string_view unit_key, std::string_view revision) {
  std::lock_guard<std::mutex> lock(mu_);
  VariantCounts& c = counts_[variant];
  ++c.requests;
  bool new_unit = true;
  if (!unit_key.empty()) {
    if (revision != unit_revision_ || unit_keys_.size() >= kMaxUnitKeys) {
      unit_keys_.clear();
      unit_revision_ = revision;
    }
    new_unit = unit_keys_.insert(std::hash<std::string_view>{}(unit_key)).second;
  }
  c.units += new_unit;
  if (code >= 500) {
    ++c.errors;
  } else if (code >= 400) {
    ++c.client_errors;
  }
  AddToBuckets(&c.latency_counts, seconds);
  c.latency_sum += seconds;
}

void VariantCounters::RecordModelLatency(const std::string& variant, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  VariantCounts& c = counts_[variant];
  AddToBuckets(&c.model_latency_counts, seconds);
  c.model_latency_sum += seconds;
}

void VariantCounters::RecordDropped(const std::string& variant) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[variant].dropped;
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
