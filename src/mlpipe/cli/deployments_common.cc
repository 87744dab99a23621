#include "mlpipe/cli/deployments_common.h"

#include <fmt/format.h>

#include <vector>

#include "mlpipe/base/strings.h"

namespace mlpipe::cli {

StatusOr<DeploymentSession> OpenDeploymentSession() {
  DeploymentSession s;
  ASSIGN_OR_RETURN(s.stores, OpenAll());
  ASSIGN_OR_RETURN(s.deployments, OpenDeploymentStore(s.stores));
  return s;
}

StatusOr<serving::DeploymentConfig> ConfigOf(const metadata::DeploymentRevision& revision) {
  auto j = nlohmann::json::parse(revision.config, nullptr, /*allow_exceptions=*/false);
  auto config = serving::DeploymentConfig::FromJson(j);
  if (!config.ok()) {
    return DataLossError(fmt::format("deployment '{}' revision {} holds a config that does not read back: {}",
                                     revision.name, revision.revision, config.status().message()));
  }
  return config;
}

StatusOr<DeploymentState> LoadDeployment(metadata::DeploymentStore& store, const std::string& name) {
  auto revision = store.GetDeployment(name);
  if (!revision.ok() && revision.status().code() == StatusCode::kNotFound) {
    ASSIGN_OR_RETURN(auto all, store.ListDeployments());
    std::vector<std::string> names;
    for (const auto& r : all) names.push_back(r.name);
    std::string close = ClosestMatch(name, names);
    return NotFoundError(fmt::format("no deployment '{}' ({}){}", name,
                                     names.empty()
                                         ? "there are none yet: `mlpipe deployments apply FILE` creates one"
                                         : "deployments: " + Join(names, ", "),
                                     close.empty() ? "" : fmt::format("; did you mean '{}'?", close)));
  }
  if (!revision.ok()) return revision.status();
  DeploymentState state{*revision, {}};
  ASSIGN_OR_RETURN(state.config, ConfigOf(state.revision));
  return state;
}

std::string WeightText(double weight) { return fmt::format("{:g}", weight); }

std::string WeightsText(const serving::DeploymentConfig& config) {
  std::vector<std::string> parts;
  for (const auto& v : config.variants) parts.push_back(fmt::format("{}={}", v.name, WeightText(v.weight)));
  return Join(parts, ", ");
}

StatusOr<std::optional<int64_t>> ServedVersion(metadata::MetadataStore& db, const serving::VariantConfig& v) {
  if (v.spec.model_ref.empty()) return std::optional<int64_t>();
  auto resolved = db.ResolveModel(v.spec.model_ref);
  if (!resolved.ok() && resolved.status().code() == StatusCode::kNotFound) return std::optional<int64_t>();
  if (!resolved.ok()) return resolved.status();
  return std::optional<int64_t>(resolved->version);
}

serving::VariantConfig* ChampionVariant(serving::DeploymentConfig& config) {
  const std::string ref = config.model + "@champion";
  for (auto& v : config.variants) {
    if (v.spec.model_ref == ref) return &v;
  }
  for (auto& v : config.variants) {
    if (v.name == "champion") return &v;
  }
  return nullptr;
}

StatusOr<ChangeWritten> WriteChange(metadata::DeploymentStore& store, const DeploymentChange& change) {
  ChangeWritten out;
  ASSIGN_OR_RETURN(out.decision_id, store.RecordDecision(change.decision));
  if (change.config) {
    metadata::DeploymentRevision r;
    r.name = change.config->name;
    r.model = change.config->model;
    r.config = change.config->ToJson().dump();
    r.source = change.source;
    r.actor = change.decision.actor;
    r.reason = change.decision.reason;
    r.decision_id = out.decision_id;
    r.created_ns = change.decision.time_ns;
    ASSIGN_OR_RETURN(int64_t written, store.PutDeployment(r, change.expected_revision));
    out.revision = written;
  }
  return out;
}

}  // namespace mlpipe::cli
