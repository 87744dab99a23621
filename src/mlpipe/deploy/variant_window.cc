#include "mlpipe/deploy/variant_window.h"

#include <cmath>
#include <cstdlib>
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

// The histogram at `key` ({"le", "counts"}) into bounds and cumulative counts.
void ReadHistogram(const nlohmann::json& v, const char* key, std::vector<double>* bounds,
                   std::vector<double>* cumulative) {
  auto l = v.find(key);
  if (l == v.end() || !l->is_object()) return;
  auto le = l->find("le");
  // Bounds are numbers, with "+Inf" (or null) for the last.
  auto counts = l->find("counts");
  // `mlpipe serve` lists the finite bounds and one more count for +inf.
  if (le != l->end() && counts != l->end() && le->is_array() && counts->is_array() &&
      (le->size() == counts->size() || le->size() + 1 == counts->size())) {
    for (size_t i = 0; i < counts->size(); ++i) {
      bounds->push_back(i < le->size() ? Bound((*le)[i]) : std::numeric_limits<double>::infinity());
      cumulative->push_back((*counts)[i].is_number() ? (*counts)[i].get<double>() : 0.0);
    }
  }
}

nlohmann::json HistogramJson(const std::vector<double>& bounds, const std::vector<double>& counts) {
  nlohmann::json le = nlohmann::json::array();
  for (double b : bounds) le.push_back(std::isinf(b) ? nlohmann::json("+Inf") : nlohmann::json(b));
  return {{"le", le}, {"counts", counts}};
}

// base's counts subtracted from `counts` when both have the same bounds.
void SubtractHistogram(const std::vector<double>& bounds, std::vector<double>* counts,
                       const std::vector<double>& base_bounds, const std::vector<double>& base_counts) {
  if (base_bounds != bounds) return;
  for (size_t i = 0; i < counts->size() && i < base_counts.size(); ++i) (*counts)[i] -= base_counts[i];
}

}  // namespace

VariantCounters VariantCounters::FromJson(const nlohmann::json& v) {
  VariantCounters c;
  c.requests = Num(v, "requests");
  c.units = Num(v, "units");
  c.errors = Num(v, "errors");
  c.feedback = Num(v, "feedback");
  c.correct = Num(v, "correct");
  c.abs_error_sum = Num(v, "abs_error_sum");
  c.dropped = Num(v, "dropped");
  ReadHistogram(v, "latency", &c.latency_le, &c.latency_counts);
  ReadHistogram(v, "model_latency", &c.model_latency_le, &c.model_latency_counts);
  if (auto cl = v.find("classes"); cl != v.end() && cl->is_object()) {
    for (auto it = cl->begin(); it != cl->end(); ++it) {
      if (it.value().is_number()) c.classes[it.key()] = it.value().get<double>();
    }
  }
  return c;
}

nlohmann::json VariantCounters::ToJson() const {
  nlohmann::json j = {
      {"requests", requests}, {"errors", errors},   {"latency", HistogramJson(latency_le, latency_counts)},
      {"feedback", feedback}, {"correct", correct}, {"abs_error_sum", abs_error_sum},
      {"classes", classes}};
  // Only when present, so the stored looks of a step read as before.
  if (units != 0) j["units"] = units;
  if (!model_latency_le.empty()) j["model_latency"] = HistogramJson(model_latency_le, model_latency_counts);
  if (dropped != 0) j["dropped"] = dropped;
  return j;
}

VariantCounters VariantCounters::Minus(const VariantCounters& base) const {
  VariantCounters d = *this;
  d.requests -= base.requests;
  d.units -= base.units;
  d.errors -= base.errors;
  d.feedback -= base.feedback;
  d.correct -= base.correct;
  d.abs_error_sum -= base.abs_error_sum;
  d.dropped -= base.dropped;
  SubtractHistogram(latency_le, &d.latency_counts, base.latency_le, base.latency_counts);
  SubtractHistogram(model_latency_le, &d.model_latency_counts, base.model_latency_le,
                    base.model_latency_counts);
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
  // `mlpipe serve` reports the revision as text ("3"); a stored baseline as a number.
  if (auto r = stats.find("revision"); r != stats.end() && r->is_string()) {
    d.revision = std::strtoll(r->get<std::string>().c_str(), nullptr, 10);
  } else {
    d.revision = static_cast<int64_t>(Num(stats, "revision"));
  }
  for (const auto& v : stats["variants"]) {
    if (!v.is_object() || !v.contains("name") || !v["name"].is_string()) continue;
    const std::string name = v["name"].get<std::string>();
    d.variants[name] = VariantCounters::FromJson(v);
    d.live_versions[name] =
        v.contains("version") && v["version"].is_string() ? v["version"].get<std::string>() : "";
  }
  // The shadow's copies, counted like a variant's requests (its name is never
  // a variant's); a stored baseline (ToJson) has it among the variants.
  if (auto s = stats.find("shadow");
      s != stats.end() && s->is_object() && s->contains("name") && (*s)["name"].is_string()) {
    const std::string name = (*s)["name"].get<std::string>();
    d.variants[name] = VariantCounters::FromJson(*s);
    d.live_versions[name] =
        s->contains("version") && (*s)["version"].is_string() ? (*s)["version"].get<std::string>() : "";
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
