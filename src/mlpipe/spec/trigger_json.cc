#include "mlpipe/spec/trigger_json.h"

namespace mlpipe::spec {

nlohmann::json TriggerToJson(const TriggerSpec& t) {
  using Kind = TriggerSpec::Kind;
  nlohmann::json j = {
      {"id", t.id}, {"kind", TriggerKindName(t.kind)}, {"line", t.loc.line}, {"column", t.loc.column}};
  // 0 is "unset" for the drift thresholds: the monitor's default applies.
  auto or_null = [](auto v) { return v == 0 ? nlohmann::json(nullptr) : nlohmann::json(v); };
  switch (t.kind) {
    case Kind::kSchedule:
      j["schedule"] = t.cron ? t.cron->Describe() : "";
      break;
    case Kind::kOnChange:
      j["paths"] = t.paths;
      break;
    case Kind::kOnCommit:
      j["repo"] = t.repo;
      j["branch"] = t.branch;
      break;
    case Kind::kOnModel:
      j["model"] = t.model;
      j["alias"] = t.alias;
      break;
    case Kind::kWebhook:
      j["name"] = t.webhook;
      break;
    case Kind::kOnDrift:
      j["deployment"] = t.deployment;
      j["psi"] = or_null(t.psi);
      j["ks_p"] = or_null(t.ks_p);
      j["min_rows"] = or_null(t.min_rows);
      break;
    case Kind::kSinceLastRun:
      j["since_ns"] = t.since_ns;
      break;
    case Kind::kAll:
    case Kind::kAny:
      j["children"] = nlohmann::json::array();
      for (const auto& c : t.children) j["children"].push_back(TriggerToJson(c));
      break;
  }
  return j;
}

nlohmann::json TriggersToJson(const PipelineSpec& spec) {
  nlohmann::json triggers = nlohmann::json::array();
  for (const auto& t : spec.triggers) triggers.push_back(TriggerToJson(t));
  return {{"triggers", triggers},
          {"concurrency", spec.concurrency},
          {"cooldown_ns", spec.cooldown_ns},
          {"max_runs_per_day",
           spec.max_runs_per_day == 0 ? nlohmann::json(nullptr) : nlohmann::json(spec.max_runs_per_day)},
          {"ci_params", spec.ci_params}};
}

}  // namespace mlpipe::spec
