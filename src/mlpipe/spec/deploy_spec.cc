// The deploy: block's names, descriptions and JSON form (the parser is
// deploy_parse.cc).
#include "mlpipe/spec/deploy_spec.h"

#include <fmt/format.h>

#include "mlpipe/spec/units.h"

namespace mlpipe::spec {
namespace {

using json = nlohmann::json;

constexpr std::pair<RolloutStrategy, const char*> kStrategyNames[] = {
    {RolloutStrategy::kCanary, "canary"},
    {RolloutStrategy::kBlueGreen, "blue_green"},
    {RolloutStrategy::kShadowThenCanary, "shadow_then_canary"},
    {RolloutStrategy::kManual, "manual"},
    {RolloutStrategy::kAb, "ab"},
};

json OptionalJson(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

void PutLocation(const SourceLocation& loc, json* j) {
  (*j)["file"] = loc.file.str();
  (*j)["line"] = loc.line;
  (*j)["column"] = loc.column;
}

// Reads ToJson's fields back, the first problem kept: each getter names the
// field when it is missing or of another type.
class JsonReader {
 public:
  JsonReader(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object()) Fail(fmt::format("{} must be a JSON object, got {}", where_, j_.type_name()));
  }
  const Status& status() const { return status_; }

  template <typename T>
  T Get(const char* key, T fallback = T()) {
    const json* v = Find(key);
    if (v == nullptr) return fallback;
    const bool ok = std::is_same_v<T, bool>          ? v->is_boolean()
                    : std::is_same_v<T, std::string> ? v->is_string()
                    : std::is_floating_point_v<T>    ? v->is_number()
                                                     : v->is_number_integer();
    if (!ok) {
      Fail(fmt::format("{}.{} has the wrong type ({})", where_, key, v->type_name()));
      return fallback;
    }
    return v->get<T>();
  }
  std::optional<double> GetOptional(const char* key) {
    const json* v = Find(key, /*may_be_null=*/true);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_number()) {
      Fail(fmt::format("{}.{} must be a number or null, got {}", where_, key, v->type_name()));
      return std::nullopt;
    }
    return v->get<double>();
  }
  // A nested object, or nullptr (null, or a problem recorded).
  const json* Object(const char* key, bool may_be_null) {
    const json* v = Find(key, may_be_null);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_object()) {
      Fail(fmt::format("{}.{} must be an object, got {}", where_, key, v->type_name()));
      return nullptr;
    }
    return v;
  }
  SourceLocation Location() {
    return SourceLocation{InternedString(Get<std::string>("file")), Get<int>("line"), Get<int>("column")};
  }
  void Take(const Status& s) {
    if (status_.ok() && !s.ok()) status_ = s;
  }
  void Fail(std::string message) { Take(InvalidArgumentError(std::move(message))); }

 private:
  const json* Find(const char* key, bool may_be_null = false) {
    if (!status_.ok()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end()) {
      Fail(fmt::format("{} has no field '{}'", where_, key));
      return nullptr;
    }
    if (it->is_null() && !may_be_null) {
      Fail(fmt::format("{}.{} is null", where_, key));
      return nullptr;
    }
    return &*it;
  }

  const json& j_;
  std::string where_;
  Status status_;
};

}  // namespace

const char* GateKindName(GateSpec::Kind kind) {
  return kind == GateSpec::Kind::kBeats ? "beats" : "threshold";
}

const char* RolloutStrategyName(RolloutStrategy strategy) {
  for (const auto& [s, name] : kStrategyNames) {
    if (s == strategy) return name;
  }
  return "canary";
}

const char* OnFailureName(RolloutSpec::OnFailure on_failure) {
  return on_failure == RolloutSpec::OnFailure::kHold ? "hold" : "rollback";
}

std::string GateSpec::Metric() const {
  return kind == Kind::kThreshold ? fmt::format("{}.{}.{}", step, output, key) : std::string();
}

std::string GateSpec::Describe() const {
  if (kind == Kind::kBeats) {
    return fmt::format("beats {} on {} by {} at {:g} %", beats, metric, by, confidence * 100);
  }
  if (min && max) return fmt::format("{} <= {} <= {}", *min, Metric(), *max);
  if (min) return fmt::format("{} >= {}", Metric(), *min);
  return fmt::format("{} <= {}", Metric(), max.value_or(0));
}

json GateSpec::ToJson() const {
  json j = {{"kind", GateKindName(kind)}};
  if (kind == Kind::kThreshold) {
    j.update({{"metric", Metric()},
              {"step", step},
              {"output", output},
              {"key", key},
              {"min", OptionalJson(min)},
              {"max", OptionalJson(max)}});
  } else {
    j.update({{"beats", beats},
              {"metric", metric},
              {"by", by},
              {"confidence", confidence},
              {"resamples", resamples},
              {"seed", seed},
              {"step", eval_step}});
  }
  j["describe"] = Describe();
  PutLocation(loc, &j);
  return j;
}

StatusOr<GateSpec> GateSpec::FromJson(const json& j) {
  JsonReader r(j, "gate");
  GateSpec g;
  const std::string kind = r.Get<std::string>("kind");
  if (r.status().ok() && kind != "threshold" && kind != "beats") {
    r.Fail(fmt::format("gate.kind must be threshold or beats, got '{}'", kind));
  }
  if (kind == "beats") {
    g.kind = Kind::kBeats;
    g.beats = r.Get<std::string>("beats");
    g.metric = r.Get<std::string>("metric");
    g.by = r.Get<double>("by");
    g.confidence = r.Get<double>("confidence");
    g.resamples = r.Get<int>("resamples");
    g.seed = r.Get<uint64_t>("seed");
    g.eval_step = r.Get<std::string>("step");
  } else {
    g.step = r.Get<std::string>("step");
    g.output = r.Get<std::string>("output");
    g.key = r.Get<std::string>("key");
    g.min = r.GetOptional("min");
    g.max = r.GetOptional("max");
  }
  g.loc = r.Location();
  RETURN_IF_ERROR(r.status());
  return g;
}

json RolloutSpec::ToJson() const {
  const AnalysisSpec& a = analysis;
  json online = nullptr;
  if (a.online_metric) {
    online = {{"metric", a.online_metric->metric},
              {"min_labels", a.online_metric->min_labels},
              {"confidence", a.online_metric->confidence}};
  }
  auto limit = [](const char* key, const std::optional<double>& v) {
    return v ? json{{key, *v}} : json(nullptr);
  };
  json j = {{"strategy", RolloutStrategyName(strategy)},
            {"steps", steps},
            {"min_requests", min_requests},
            {"max_step_time_ns", max_step_time_ns},
            {"max_step_time", DurationText(max_step_time_ns)},
            {"analysis_interval_ns", analysis_interval_ns},
            {"analysis_interval", DurationText(analysis_interval_ns)},
            {"alpha", alpha},
            {"analysis",
             {{"error_rate", limit("max_increase", a.error_rate_max_increase)},
              {"latency_p99", limit("max_ratio", a.latency_p99_max_ratio)},
              {"online_metric", online},
              {"drift", limit("psi_max", a.drift_psi_max)}}},
            {"on_failure", OnFailureName(on_failure)},
            {"on_no_data", "pause"},
            {"sticky_header", sticky_header}};
  PutLocation(loc, &j);
  return j;
}

StatusOr<RolloutSpec> RolloutSpec::FromJson(const json& j) {
  JsonReader r(j, "rollout");
  RolloutSpec out;
  const std::string strategy = r.Get<std::string>("strategy");
  bool known = false;
  for (const auto& [s, name] : kStrategyNames) {
    if (strategy == name) out.strategy = s, known = true;
  }
  if (!known) r.Fail(fmt::format("rollout.strategy '{}' is not a strategy", strategy));
  out.steps.clear();
  const json* steps = j.is_object() && j.contains("steps") ? &j.at("steps") : nullptr;
  if (steps == nullptr || !steps->is_array()) {
    r.Fail("rollout.steps must be a list of numbers");
  } else {
    for (const json& s : *steps) {
      if (!s.is_number()) r.Fail("rollout.steps must be a list of numbers");
      if (s.is_number()) out.steps.push_back(s.get<double>());
    }
  }
  out.min_requests = r.Get<int64_t>("min_requests");
  out.max_step_time_ns = r.Get<int64_t>("max_step_time_ns");
  out.analysis_interval_ns = r.Get<int64_t>("analysis_interval_ns");
  out.alpha = r.Get<double>("alpha");
  if (const json* a = r.Object("analysis", false)) {
    JsonReader ar(*a, "rollout.analysis");
    auto limit = [&](const char* key, const char* field) -> std::optional<double> {
      const json* o = ar.Object(key, true);
      if (o == nullptr) return std::nullopt;
      JsonReader lr(*o, fmt::format("rollout.analysis.{}", key));
      const double v = lr.Get<double>(field);
      ar.Take(lr.status());
      return v;
    };
    out.analysis.error_rate_max_increase = limit("error_rate", "max_increase");
    out.analysis.latency_p99_max_ratio = limit("latency_p99", "max_ratio");
    out.analysis.drift_psi_max = limit("drift", "psi_max");
    if (const json* o = ar.Object("online_metric", true)) {
      JsonReader orr(*o, "rollout.analysis.online_metric");
      out.analysis.online_metric = AnalysisSpec::Online{
          orr.Get<std::string>("metric"), orr.Get<int64_t>("min_labels"), orr.Get<double>("confidence")};
      ar.Take(orr.status());
    }
    r.Take(ar.status());
  }
  const std::string on_failure = r.Get<std::string>("on_failure");
  if (r.status().ok() && on_failure != "rollback" && on_failure != "hold") {
    r.Fail(fmt::format("rollout.on_failure must be rollback or hold, got '{}'", on_failure));
  }
  out.on_failure = on_failure == "hold" ? OnFailure::kHold : OnFailure::kRollback;
  out.sticky_header = r.Get<std::string>("sticky_header");
  out.loc = r.Location();
  RETURN_IF_ERROR(r.status());
  return out;
}

json DeploySpec::ToJson() const {
  json gates_json = json::array();
  for (const GateSpec& g : gates) gates_json.push_back(g.ToJson());
  json j = {{"model", model},
            {"deployment", deployment},
            {"on_reject", register_rejected ? "alias" : "skip"},
            {"gates", gates_json},
            {"rollout", rollout.ToJson()}};
  PutLocation(loc, &j);
  return j;
}

StatusOr<DeploySpec> DeploySpec::FromJson(const json& j) {
  JsonReader r(j, "deploy");
  DeploySpec out;
  out.model = r.Get<std::string>("model");
  out.deployment = r.Get<std::string>("deployment");
  const std::string on_reject = r.Get<std::string>("on_reject");
  if (r.status().ok() && on_reject != "alias" && on_reject != "skip") {
    r.Fail(fmt::format("deploy.on_reject must be alias or skip, got '{}'", on_reject));
  }
  out.register_rejected = on_reject != "skip";
  const json* gates = j.is_object() && j.contains("gates") ? &j.at("gates") : nullptr;
  if (r.status().ok() && (gates == nullptr || !gates->is_array())) r.Fail("deploy.gates must be a list");
  if (r.status().ok()) {
    for (const json& g : *gates) {
      auto gate = GateSpec::FromJson(g);
      if (!gate.ok()) return gate.status();
      out.gates.push_back(std::move(*gate));
    }
  }
  if (const json* rollout = r.Object("rollout", false)) {
    auto parsed = RolloutSpec::FromJson(*rollout);
    if (!parsed.ok()) return parsed.status();
    out.rollout = std::move(*parsed);
  }
  out.loc = r.Location();
  RETURN_IF_ERROR(r.status());
  return out;
}

}  // namespace mlpipe::spec
