// ServingMetrics: the server's Prometheus metrics, rendered as the text
// exposition format (version 0.0.4) at GET /metrics.
//
//   mlpipe_requests_total{model,version,variant,code}           counter
//   mlpipe_request_duration_seconds{model,version,variant}      histogram, 100 us .. 10 s
//   mlpipe_requests_in_flight                                   gauge
//   mlpipe_model_loads_total{model,variant,result}              counter (result: ok|error)
//   mlpipe_model_load_failures_total{model,variant}             counter
//   mlpipe_model_load_seconds{model,variant,version}            gauge (the last load of that version)
//   mlpipe_predictions_total{model,variant,version,class}       counter (classifiers, per predicted class)
//   mlpipe_prediction_value{model,variant,version}              histogram (regression values)
//   mlpipe_shadow_requests_total{model,variant,result}          counter (result: ok|error|dropped)
// The server appends more series (live accuracy, model info, prediction log
// counters) through an extra renderer.
//
// Thread-safety: every method is thread-safe. The request path takes one
// short mutex per call.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace mlpipe::serving {

// Upper bounds of the latency histogram buckets, seconds.
const std::vector<double>& LatencyBuckets();

// A histogram bucket bound rounded to 12 significant digits, so that a bound
// computed as min + i * width (14.370500000000001) is kept, and printed by
// the shortest round-trip format, as a person writes it (le="14.3705"); it
// moves by less than 1e-12 of itself. The prediction value histograms'
// bounds pass here (the latency buckets are written as literals).
double RoundBucketBound(double bound);

// Prometheus label value escaping (\\, \", \n).
std::string PromEscape(std::string_view value);

class ServingMetrics {
 public:
  void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void RequestEnded() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

  // One finished request. `model`, `version`, `variant` may be "" (unknown).
  void RecordRequest(std::string_view model, std::string_view version, std::string_view variant, int code,
                     double seconds);
  // `count` predictions of class `label`.
  void RecordClass(std::string_view model, std::string_view variant, std::string_view version,
                   std::string_view label, uint64_t count = 1);
  // One regression prediction; `buckets` (upper bounds, increasing) are used
  // when the series is first seen.
  void RecordValue(std::string_view model, std::string_view variant, std::string_view version, double value,
                   const std::vector<double>& buckets);
  void RecordLoad(std::string_view model, std::string_view variant, std::string_view version, bool ok,
                  double seconds);
  void RecordShadow(std::string_view model, std::string_view variant, std::string_view result);

  // Extra text appended by Render (must be valid exposition text).
  void SetExtraRenderer(std::function<void(std::string*)> extra);

  std::string Render() const;

 private:
  struct Histogram {
    std::vector<double> bounds;
    std::vector<uint64_t> counts;  // per bound (not cumulative); + one for +Inf
    double sum = 0;
    uint64_t count = 0;
    void Observe(double v);
  };
  using Labels3 = std::tuple<std::string, std::string, std::string>;

  std::atomic<int64_t> in_flight_{0};
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string, int>, uint64_t>
      requests_;                          // model, version, variant, code
  std::map<Labels3, Histogram> latency_;  // model, version, variant
  std::map<std::tuple<std::string, std::string, std::string, std::string>, uint64_t> classes_;
  std::map<Labels3, Histogram> values_;  // model, variant, version
  std::map<Labels3, uint64_t> loads_;    // model, variant, result
  std::map<std::pair<std::string, std::string>, uint64_t> load_failures_;
  std::map<Labels3, double> load_seconds_;  // model, variant, version
  std::map<Labels3, uint64_t> shadow_;      // model, variant, result
  std::function<void(std::string*)> extra_;
};

}  // namespace mlpipe::serving
