#include "mlpipe/serving/store_deployment_feed.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "mlpipe/metadata/open_store.h"

namespace mlpipe::serving {

namespace {

StatusOr<DeploymentConfig> ConfigOf(const metadata::DeploymentRevision& r) {
  nlohmann::json j = nlohmann::json::parse(r.config, nullptr, false);
  if (j.is_discarded()) {
    return DataLossError(
        fmt::format("deployment '{}' revision {}: its stored config is not JSON", r.name, r.revision));
  }
  auto d = DeploymentConfig::FromJson(j);
  if (!d.ok()) return d.status().WithContext(fmt::format("deployment '{}' revision {}", r.name, r.revision));
  return d;
}

class StoreDeploymentFeed : public DeploymentFeed {
 public:
  StoreDeploymentFeed(std::unique_ptr<metadata::DeploymentStore> store, std::string name)
      : store_(std::move(store)), name_(std::move(name)) {}

  StatusOr<NewRevision> Poll(int64_t known_revision) override {
    ASSIGN_OR_RETURN(int64_t current, store_->CurrentRevision(name_));
    if (current <= known_revision) return NewRevision();
    ASSIGN_OR_RETURN(metadata::DeploymentRevision r, store_->GetDeployment(name_));
    ASSIGN_OR_RETURN(DeploymentConfig d, ConfigOf(r));
    return NewRevision(std::make_pair(r.revision, std::move(d)));
  }

 private:
  std::unique_ptr<metadata::DeploymentStore> store_;
  const std::string name_;
};

}  // namespace

StatusOr<StoredDeployment> OpenStoredDeployment(const std::string& metadata, const std::string& name) {
  ASSIGN_OR_RETURN(auto store, metadata::OpenDeploymentStore(metadata));
  auto first = store->GetDeployment(name);
  if (!first.ok()) {
    if (first.status().code() == StatusCode::kNotFound) {
      return NotFoundError(
          fmt::format("no deployment '{}' in the workspace and no such file (a file needs its path, "
                      "e.g. ./{}.yaml; `mlpipe deployments list` shows the stored ones)",
                      name, name));
    }
    return first.status();
  }
  StoredDeployment out;
  out.revision = first->revision;
  ASSIGN_OR_RETURN(out.config, ConfigOf(*first));
  out.feed = std::make_unique<StoreDeploymentFeed>(std::move(store), name);
  return out;
}

}  // namespace mlpipe::serving
