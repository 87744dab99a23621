#include "mlpipe/serving/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace mlpipe::serving {

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                               0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  return kBuckets;
}

std::string PromEscape(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void ServingMetrics::Histogram::Observe(double v) {
  if (counts.empty()) counts.assign(bounds.size() + 1, 0);
  size_t i = static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
  ++counts[i];
  sum += v;
  ++count;
}

void ServingMetrics::RecordRequest(std::string_view model, std::string_view version, std::string_view variant,
                                   int code, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{std::string(model), std::string(version), std::string(variant), code}];
  Histogram& h = latency_[{std::string(model), std::string(version), std::string(variant)}];
  if (h.bounds.empty()) h.bounds = LatencyBuckets();
  h.Observe(seconds);
}

void ServingMetrics::RecordClass(std::string_view model, std::string_view variant, std::string_view version,
                                 std::string_view label, uint64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  classes_[{std::string(model), std::string(variant), std::string(version), std::string(label)}] += count;
}

double RoundBucketBound(double bound) {
  if (!std::isfinite(bound)) return bound;
  return std::strtod(fmt::format("{:.12g}", bound).c_str(), nullptr);
}

void ServingMetrics::RecordValue(std::string_view model, std::string_view variant, std::string_view version,
                                 double value, const std::vector<double>& buckets) {
  std::lock_guard<std::mutex> lock(mu_);
  Histogram& h = values_[{std::string(model), std::string(variant), std::string(version)}];
  if (h.bounds.empty()) {
    for (double b : buckets) h.bounds.push_back(RoundBucketBound(b));
    std::sort(h.bounds.begin(), h.bounds.end());
    h.bounds.erase(std::unique(h.bounds.begin(), h.bounds.end()), h.bounds.end());
  }
  h.Observe(value);
}

void ServingMetrics::RecordLoad(std::string_view model, std::string_view variant, std::string_view version,
                                bool ok, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++loads_[{std::string(model), std::string(variant), ok ? "ok" : "error"}];
  if (ok) {
    load_seconds_[{std::string(model), std::string(variant), std::string(version)}] = seconds;
  } else {
    ++load_failures_[{std::string(model), std::string(variant)}];
  }
}

void ServingMetrics::RecordShadow(std::string_view model, std::string_view variant, std::string_view result) {
  std::lock_guard<std::mutex> lock(mu_);
  ++shadow_[{std::string(model), std::string(variant), std::string(result)}];
}

void ServingMetrics::SetExtraRenderer(std::function<void(std::string*)> extra) {
  std::lock_guard<std::mutex> lock(mu_);
  extra_ = std::move(extra);
}

namespace {

void Header(std::string* out, const char* name, const char* type, const char* help) {
  fmt::format_to(std::back_inserter(*out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

std::string Num(double v) { return fmt::format("{}", v); }

}  // namespace

std::string ServingMetrics::Render() const {
  std::string out;
  auto it = std::back_inserter(out);
  std::function<void(std::string*)> extra;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Header(&out, "mlpipe_requests_total", "counter",
           "Requests by model, version, variant and HTTP status code.");
    for (const auto& [k, n] : requests_) {
      fmt::format_to(it,
                     "mlpipe_requests_total{{model=\"{}\",version=\"{}\",variant=\"{}\",code=\"{}\"}} {}\n",
                     PromEscape(std::get<0>(k)), PromEscape(std::get<1>(k)), PromEscape(std::get<2>(k)),
                     std::get<3>(k), n);
    }
    auto render_hist = [&](const char* name, const std::string& labels, const Histogram& h) {
      uint64_t cum = 0;
      for (size_t i = 0; i < h.bounds.size(); ++i) {
        cum += h.counts[i];
        fmt::format_to(it, "{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, Num(h.bounds[i]), cum);
      }
      cum += h.counts.back();
      fmt::format_to(it, "{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, cum);
      fmt::format_to(it, "{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels, Num(h.sum), name, labels,
                     h.count);
    };
    Header(&out, "mlpipe_request_duration_seconds", "histogram", "Request latency in seconds.");
    for (const auto& [k, h] : latency_) {
      render_hist("mlpipe_request_duration_seconds",
                  fmt::format("model=\"{}\",version=\"{}\",variant=\"{}\"", PromEscape(std::get<0>(k)),
                              PromEscape(std::get<1>(k)), PromEscape(std::get<2>(k))),
                  h);
    }
    Header(&out, "mlpipe_requests_in_flight", "gauge", "Requests being handled now.");
    fmt::format_to(it, "mlpipe_requests_in_flight {}\n", in_flight());
    Header(&out, "mlpipe_model_loads_total", "counter", "Model version loads by result (ok, error).");
    for (const auto& [k, n] : loads_) {
      fmt::format_to(it, "mlpipe_model_loads_total{{model=\"{}\",variant=\"{}\",result=\"{}\"}} {}\n",
                     PromEscape(std::get<0>(k)), PromEscape(std::get<1>(k)), std::get<2>(k), n);
    }
    Header(&out, "mlpipe_model_load_failures_total", "counter",
           "Model versions that failed to load or warm up.");
    for (const auto& [k, n] : load_failures_) {
      fmt::format_to(it, "mlpipe_model_load_failures_total{{model=\"{}\",variant=\"{}\"}} {}\n",
                     PromEscape(k.first), PromEscape(k.second), n);
    }
    Header(&out, "mlpipe_model_load_seconds", "gauge", "Time to load and warm up a model version, seconds.");
    for (const auto& [k, s] : load_seconds_) {
      fmt::format_to(it, "mlpipe_model_load_seconds{{model=\"{}\",variant=\"{}\",version=\"{}\"}} {}\n",
                     PromEscape(std::get<0>(k)), PromEscape(std::get<1>(k)), PromEscape(std::get<2>(k)),
                     Num(s));
    }
    Header(&out, "mlpipe_predictions_total", "counter", "Predictions by predicted class (classifiers).");
    for (const auto& [k, n] : classes_) {
      fmt::format_to(
          it, "mlpipe_predictions_total{{model=\"{}\",variant=\"{}\",version=\"{}\",class=\"{}\"}} {}\n",
          PromEscape(std::get<0>(k)), PromEscape(std::get<1>(k)), PromEscape(std::get<2>(k)),
          PromEscape(std::get<3>(k)), n);
    }
    Header(&out, "mlpipe_prediction_value", "histogram", "Predicted values (regression).");
    for (const auto& [k, h] : values_) {
      render_hist("mlpipe_prediction_value",
                  fmt::format("model=\"{}\",variant=\"{}\",version=\"{}\"", PromEscape(std::get<0>(k)),
                              PromEscape(std::get<1>(k)), PromEscape(std::get<2>(k))),
                  h);
    }
    Header(&out, "mlpipe_shadow_requests_total", "counter", "Shadow copies by result (ok, error, dropped).");
    for (const auto& [k, n] : shadow_) {
      fmt::format_to(it, "mlpipe_shadow_requests_total{{model=\"{}\",variant=\"{}\",result=\"{}\"}} {}\n",
                     PromEscape(std::get<0>(k)), PromEscape(std::get<1>(k)), std::get<2>(k), n);
    }
    extra = extra_;
  }
  if (extra) extra(&out);
  return out;
}

}  // namespace mlpipe::serving
