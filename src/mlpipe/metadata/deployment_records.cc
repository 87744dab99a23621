#include "mlpipe/metadata/deployment_records.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace mlpipe::metadata {
namespace {

Status DeploymentRequireJsonObject(std::string_view what, const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return InvalidArgumentError(fmt::format("{} must be a JSON object's text", what));
  return OkStatus();
}

}  // namespace

bool Rollout::Active() const { return state == "infra_gate" || state == "running" || state == "paused"; }
bool Rollout::InFlight() const { return Active() || state == "promoting" || state == "waiting"; }

const char* Rollout::Phase() const {
  if (state == "infra_gate") return "infra_gate";
  return step_index < 0 ? "shadow" : "steps";
}

Status ValidateRevision(const DeploymentRevision& r) {
  if (r.name.empty() || r.model.empty()) return InvalidArgumentError("a deployment needs a name and a model");
  return DeploymentRequireJsonObject("deployment config", r.config);
}

Status ValidateRollout(const Rollout& r) {
  if (r.deployment.empty() || r.model.empty() || r.state.empty()) {
    return InvalidArgumentError("a rollout needs a deployment, a model and a state");
  }
  RETURN_IF_ERROR(DeploymentRequireJsonObject("rollout policy", r.policy));
  RETURN_IF_ERROR(DeploymentRequireJsonObject("rollout baseline", r.baseline));
  return DeploymentRequireJsonObject("rollout min_p", r.min_p);
}

Status ValidateDecision(const Decision& d) {
  if (d.kind.empty() || d.verdict.empty()) return InvalidArgumentError("a decision needs a kind and a verdict");
  RETURN_IF_ERROR(DeploymentRequireJsonObject("decision inputs", d.inputs));
  RETURN_IF_ERROR(DeploymentRequireJsonObject("decision thresholds", d.thresholds));
  return DeploymentRequireJsonObject("decision statistics", d.statistics);
}

std::string RevisionModel(const std::string& config, std::string fallback) {
  auto j = nlohmann::json::parse(config, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("model") && j["model"].is_string()) return j["model"].get<std::string>();
  return fallback;
}

}  // namespace mlpipe::metadata
