#include "mlpipe/deploy/variant_window.h"

#include <cmath>
#include <limits>

namespace mlpipe::deploy {
namespace {

double Num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

// "+Inf" and null stand for infinity in a bucket bound list (JSON has no
// infinity).
double Bound(const nlohmann::json& v) {
  if (v.is_number()) return v.get<double>();
  return std::numeric_limits<double>::infinity();
}

}  // namespace

VariantCounters VariantCounters::FromJson(const nlohmann::json& v) {
  VariantCounters c;
  c.requests = Num(v, "requests");
  c.errors = Num(v, "errors");
  c.feedback = Num(v, "feedback");
  c.correct = Num(v, "correct");
  c.abs_error_sum = Num(v, "abs_error_sum");
  if (auto l = v.find("latency"); l != v.end() && l->is_object()) {
    auto le = l->find("le");
    // Bounds are numbers, with "+Inf" (or null) for the last.
    auto counts = l->find("counts");
    // `mlpipe serve` lists the finite bounds and one more count for +inf.
    if (le != l->end() && counts != l->end() && le->is_array() && counts->is_array() &&
        (le->size() == counts->size() || le->size() + 1 == counts->size())) {
      for (size_t i = 0; i < counts->size(); ++i) {
        c.latency_le.push_back(i < le->size() ? Bound((*le)[i]) : std::numeric_limits<double>::infinity());
        c.latency_counts.push_back((*counts)[i].is_number() ? (*counts)[i].get<double>() : 0.0);
      }
    }
  }
  if (auto cl = v.find("classes"); cl != v.end() && cl->is_object()) {
    for (auto it = cl->begin(); it != cl->end(); ++it) {
      if (it.value().is_number()) c.classes[it.key()] = it.value().get<double>();
    }
  }
  return c;
}

nlohmann::json VariantCounters::ToJson() const {
  nlohmann::json le = nlohmann::json::array();
  for (double b : latency_le) le.push_back(std::isinf(b) ? nlohmann::json("+Inf") : nlohmann::json(b));
  return {{"requests", requests}, {"errors", errors},   {"latency", {{"le", le}, {"counts", latency_counts}}},
          {"feedback", feedback}, {"correct", correct}, {"abs_error_sum", abs_error_sum},
          {"classes", classes}};
}

VariantCounters VariantCounters::Minus(const VariantCounters& base) const {
  VariantCounters d = *this;
  d.requests -= base.requests;
  d.errors -= base.errors;
  d.feedback -= base.feedback;
  d.correct -= base.correct;
  d.abs_error_sum -= base.abs_error_sum;
  if (base.latency_le == latency_le) {
    for (size_t i = 0; i < d.latency_counts.size(); ++i) d.latency_counts[i] -= base.latency_counts[i];
  }
  for (auto& [label, n] : d.classes) {
    if (auto it = base.classes.find(label); it != base.classes.end()) n -= it->second;
  }
  return d;
}

bool VariantCounters::WentDown(const VariantCounters& base) const {
  return requests < base.requests || errors < base.errors || feedback < base.feedback;
}

StatusOr<DeploymentCounters> DeploymentCounters::FromJson(const nlohmann::json& stats) {
  if (!stats.is_object() || !stats.contains("variants") || !stats["variants"].is_array()) {
    return InvalidArgumentError("deployment stats: not an object with a \"variants\" array");
  }
  DeploymentCounters d;
  d.started_ns = static_cast<int64_t>(Num(stats, "started_ns"));
  d.revision = static_cast<int64_t>(Num(stats, "revision"));
  for (const auto& v : stats["variants"]) {
    if (!v.is_object() || !v.contains("name") || !v["name"].is_string()) continue;
    const std::string name = v["name"].get<std::string>();
    d.variants[name] = VariantCounters::FromJson(v);
    d.live_versions[name] =
        v.contains("version") && v["version"].is_string() ? v["version"].get<std::string>() : "";
  }
  return d;
}

nlohmann::json DeploymentCounters::ToJson() const {
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& [name, c] : this->variants) {
    nlohmann::json v = c.ToJson();
    v["name"] = name;
    if (auto it = live_versions.find(name); it != live_versions.end()) v["version"] = it->second;
    variants.push_back(std::move(v));
  }
  return {{"started_ns", started_ns}, {"revision", revision}, {"variants", variants}};
}

}  // namespace mlpipe::deploy
