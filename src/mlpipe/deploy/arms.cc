#include "mlpipe/deploy/arms.h"

#include <fmt/format.h>

#include <algorithm>

namespace mlpipe::deploy {

serving::DeploymentConfig DefaultDeployment(const std::string& name, const std::string& model) {
  serving::DeploymentConfig c;
  c.name = name;
  c.model = model;
  serving::VariantConfig v;
  v.name = kChampionArm;
  v.spec.model_ref = model + "@champion";
  v.weight = 100;
  c.variants.push_back(v);
  return c;
}

std::string ChampionArm(const serving::DeploymentConfig& config) {
  for (const auto& v : config.variants) {
    if (v.spec.model_ref == config.model + "@champion") return v.name;
  }
  return "";
}

void SetArms(serving::DeploymentConfig* config, int64_t candidate_version, double percent) {
  if (config->shadow && config->shadow->name == kCandidateArm) config->shadow.reset();
  std::string champion = ChampionArm(*config);
  if (champion.empty()) {
    serving::VariantConfig v;
    v.name = kChampionArm;
    v.spec.model_ref = config->model + "@champion";
    config->variants.insert(config->variants.begin(), v);
    champion = kChampionArm;
  }
  auto& vs = config->variants;
  auto cand = std::find_if(vs.begin(), vs.end(), [](const auto& v) { return v.name == kCandidateArm; });
  if (candidate_version <= 0) {
    if (cand != vs.end()) vs.erase(cand);
  } else {
    if (cand == vs.end()) {
      serving::VariantConfig v;
      v.name = kCandidateArm;
      vs.push_back(v);
      cand = vs.end() - 1;
    }
    cand->spec.model_ref = fmt::format("{}:v{}", config->model, candidate_version);
    cand->spec.package_path.clear();
    cand->weight = percent;
  }
  for (auto& v : vs) {
    if (v.name == champion) v.weight = candidate_version <= 0 ? 100 : 100 - percent;
  }
}

void SetShadowArm(serving::DeploymentConfig* config, int64_t candidate_version) {
  SetArms(config, 0, 0);
  serving::VariantConfig shadow;
  shadow.name = kCandidateArm;
  shadow.spec.model_ref = fmt::format("{}:v{}", config->model, candidate_version);
  config->shadow = shadow;
}

}  // namespace mlpipe::deploy
