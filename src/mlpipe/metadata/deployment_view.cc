#include "mlpipe/metadata/deployment_view.h"

namespace mlpipe::metadata {
using json = nlohmann::json;

json StoredJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json(text) : j;
}

json RevisionJson(const DeploymentRevision& r, TimeStyle style) {
  json j = {{"deployment", r.name},      {"model", r.model},
            {"revision", r.revision},    {"config", StoredJson(r.config)},
            {"source", r.source},        {"actor", r.actor},
            {"reason", r.reason},        {"created", TimeJson(r.created_ns, style)},
            {"created_ns", r.created_ns}};
  j["decision"] = r.decision_id ? json(*r.decision_id) : json();
  return j;
}

json RolloutJson(const Rollout& r, TimeStyle style) {
  return {{"id", r.id},
          {"deployment", r.deployment},
          {"model", r.model},
          {"candidate_version", r.candidate_version},
          {"champion_version", r.champion_version ? json(*r.champion_version) : json()},
          {"run", r.run_id ? json(*r.run_id) : json()},
          {"policy", StoredJson(r.policy)},
          {"state", r.state},
          {"step_index", r.step_index},
          {"phase", r.Phase()},
          {"step_started", TimeJson(r.step_started_ns, style)},
          {"detail", r.detail},
          {"created", TimeJson(r.created_ns, style)},
          {"created_ns", r.created_ns},
          {"updated", TimeJson(r.updated_ns, style)},
          {"updated_ns", r.updated_ns}};
}

json DecisionJson(const Decision& d, TimeStyle style) {
  return {{"id", d.id},
          {"time", TimeJson(d.time_ns, style)},
          {"time_ns", d.time_ns},
          {"kind", d.kind},
          {"deployment", d.deployment},
          {"model", d.model},
          {"model_version", d.model_version ? json(*d.model_version) : json()},
          {"run", d.run_id ? json(*d.run_id) : json()},
          {"rollout", d.rollout_id ? json(*d.rollout_id) : json()},
          {"verdict", d.verdict},
          {"reason", d.reason},
          {"inputs", StoredJson(d.inputs)},
          {"thresholds", StoredJson(d.thresholds)},
          {"statistics", StoredJson(d.statistics)},
          {"seed", d.seed ? json(*d.seed) : json()},
          {"actor", d.actor}};
}

}  // namespace mlpipe::metadata
