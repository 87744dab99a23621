// What the `mlpipe deployments` commands share (cmd_deployments*.cc): the
// stores opened on one connection, a deployment's current config, what its
// variants serve now, and writing a change (decision record and revision)
// inside the caller's transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/serving/deployment.h"

namespace mlpipe::cli {

// Option storage of every `mlpipe deployments` subcommand.
struct DeploymentsArgs {
  std::string name;
  std::string file;
  std::string reason;
  std::string variant = "candidate";
  std::vector<std::string> weights;  // VARIANT=WEIGHT
  int64_t revision = 0;              // show --revision; 0 = current
  int limit = 50;
  bool json = false;
};

// cmd_deployments_change.cc: the changes made by hand.
Status CmdDeploymentsSetWeights(const DeploymentsArgs& args);
Status CmdDeploymentsPromote(const DeploymentsArgs& args);
Status CmdDeploymentsRollback(const DeploymentsArgs& args);

// The workspace's stores, the deployment store sharing the metadata store's
// connection (and so its transactions).
struct DeploymentSession {
  OpenStores stores;
  std::unique_ptr<metadata::DeploymentStore> deployments;
};
StatusOr<DeploymentSession> OpenDeploymentSession();

// A revision and the config it holds.
struct DeploymentState {
  metadata::DeploymentRevision revision;
  serving::DeploymentConfig config;
};
// The current revision of `name`; NotFound naming the deployments there are.
StatusOr<DeploymentState> LoadDeployment(metadata::DeploymentStore& store, const std::string& name);
StatusOr<serving::DeploymentConfig> ConfigOf(const metadata::DeploymentRevision& revision);

// "90", "12.5": a weight as people write it.
std::string WeightText(double weight);
// "champion=90, candidate=10".
std::string WeightsText(const serving::DeploymentConfig& config);

// The registry version a variant serves now; nullopt for a package, or an
// alias that is not set.
StatusOr<std::optional<int64_t>> ServedVersion(metadata::MetadataStore& db, const serving::VariantConfig& v);
// The variant following MODEL@champion (else the one named "champion"); null if none.
serving::VariantConfig* ChampionVariant(serving::DeploymentConfig& config);

// A change to write in the caller's open transaction: the decision record,
// and a new revision when `config` is set (written with the decision's id,
// under the optimistic lock on `expected_revision`).
struct DeploymentChange {
  metadata::Decision decision;
  std::optional<serving::DeploymentConfig> config;
  std::string source;  // the revision's source: "set-weights", "promote", ...
  int64_t expected_revision = 0;
};
struct ChangeWritten {
  int64_t decision_id = 0;
  std::optional<int64_t> revision;
};
StatusOr<ChangeWritten> WriteChange(metadata::DeploymentStore& store, const DeploymentChange& change);

}  // namespace mlpipe::cli
