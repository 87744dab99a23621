// mlpipe deployments set-weights | promote | rollback: the changes made by
// hand. Each writes its alias moves, its decision record and (when the
// config changes) a new revision in one transaction of the metadata store's
// connection, which the deployment store shares: a crash leaves all or none.
#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/cli/deployments_common.h"

namespace mlpipe::cli {
namespace {

using metadata::Rollout;
using nlohmann::json;

json WeightsJson(const serving::DeploymentConfig& config) {
  json out = json::object();
  for (const auto& v : config.variants) out[v.name] = v.weight;
  return out;
}

json OptVersion(const std::optional<int64_t>& v) { return v ? json(*v) : json(); }

std::string VariantNames(const serving::DeploymentConfig& config) {
  std::vector<std::string> names;
  for (const auto& v : config.variants) names.push_back(v.name);
  return Join(names, ", ");
}

StatusOr<serving::VariantConfig*> FindVariant(serving::DeploymentConfig& config, const std::string& name) {
  for (auto& v : config.variants) {
    if (v.name == name) return &v;
  }
  return InvalidArgumentError(fmt::format("deployment '{}' has no variant '{}' (variants: {})", config.name,
                                          name, VariantNames(config)));
}

double TotalWeight(const serving::DeploymentConfig& config) {
  double total = 0;
  for (const auto& v : config.variants) total += v.weight;
  return total;
}

// The change's decision, filled with what every change by hand shares.
metadata::Decision UserDecision(const serving::DeploymentConfig& config, std::string kind, std::string reason,
                                int64_t now) {
  metadata::Decision d;
  d.time_ns = now;
  d.kind = std::move(kind);
  d.deployment = config.name;
  d.model = config.model;
  d.verdict = "done";
  d.reason = std::move(reason);
  d.actor = "user";
  return d;
}

// Writes `change` with the alias moves `moves` makes first, in one transaction.
StatusOr<ChangeWritten> Commit(DeploymentSession& session, const DeploymentChange& change,
                               const std::function<Status()>& moves) {
  metadata::Transaction txn(*session.stores.db);
  RETURN_IF_ERROR(txn.status());
  RETURN_IF_ERROR(moves());
  ASSIGN_OR_RETURN(ChangeWritten written, WriteChange(*session.deployments, change));
  RETURN_IF_ERROR(txn.Commit());
  return written;
}

void PrintDone(const DeploymentsArgs& args, json out, const std::string& text) {
  if (args.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << text << "\n";
  }
}

std::string RevisionText(const ChangeWritten& w) {
  return w.revision ? fmt::format(" (revision {})", *w.revision) : "";
}

}  // namespace

Status CmdDeploymentsSetWeights(const DeploymentsArgs& args) {
  ASSIGN_OR_RETURN(DeploymentSession session, OpenDeploymentSession());
  ASSIGN_OR_RETURN(DeploymentState state, LoadDeployment(*session.deployments, args.name));
  serving::DeploymentConfig config = state.config;
  for (const std::string& pair : args.weights) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos) {
      return InvalidArgumentError(
          fmt::format("'{}' is not VARIANT=WEIGHT (e.g. champion=95 candidate=5)", pair));
    }
    ASSIGN_OR_RETURN(serving::VariantConfig * v, FindVariant(config, pair.substr(0, eq)));
    std::string text = pair.substr(eq + 1);
    double w = -1;
    try {
      size_t used = 0;
      w = std::stod(text, &used);
      if (used != text.size()) w = -1;
    } catch (const std::exception&) {
      w = -1;
    }
    if (!(w >= 0) || !std::isfinite(w)) {
      return InvalidArgumentError(
          fmt::format("weight of '{}' must be a number >= 0, got '{}'", v->name, text));
    }
    v->weight = w;
  }
  if (!(TotalWeight(config) > 0)) {
    return InvalidArgumentError(fmt::format(
        "the weights would sum to 0 ({}): the deployment would serve no traffic", WeightsText(config)));
  }
  json out = {{"deployment", config.name}, {"weights", WeightsJson(config)}};
  if (config.ToJson() == state.config.ToJson()) {
    out.update({{"changed", false}, {"revision", state.revision.revision}, {"decision", nullptr}});
    PrintDone(args, out,
              fmt::format("deployment {} unchanged (revision {}): {}", config.name, state.revision.revision,
                          WeightsText(config)));
    return OkStatus();
  }
  ASSIGN_OR_RETURN(auto active, session.deployments->ListRollouts(config.name, /*active_only=*/true));
  if (!active.empty()) {
    std::cerr << fmt::format(
        "mlpipe: warning: rollout {} ({}) of {} sets these weights too; it may move them again\n",
        active.front().id, active.front().state, config.name);
  }
  DeploymentChange change;
  change.decision = UserDecision(config, "set_weights",
                                 args.reason.empty() ? "set by hand: " + WeightsText(config) : args.reason,
                                 RealClock().WallNanos());
  change.decision.inputs = json{{"from", WeightsJson(state.config)}, {"to", WeightsJson(config)}}.dump();
  change.config = config;
  change.source = "set-weights";
  change.expected_revision = state.revision.revision;
  ASSIGN_OR_RETURN(ChangeWritten w, Commit(session, change, [] { return OkStatus(); }));
  out.update({{"changed", true}, {"revision", *w.revision}, {"decision", w.decision_id}});
  PrintDone(args, out,
            fmt::format("deployment {} revision {}: {}", config.name, *w.revision, WeightsText(config)));
  return OkStatus();
}

Status CmdDeploymentsPromote(const DeploymentsArgs& args) {
  ASSIGN_OR_RETURN(DeploymentSession session, OpenDeploymentSession());
  metadata::MetadataStore& db = *session.stores.db;
  ASSIGN_OR_RETURN(DeploymentState state, LoadDeployment(*session.deployments, args.name));
  serving::DeploymentConfig config = state.config;
  ASSIGN_OR_RETURN(serving::VariantConfig * promoted, FindVariant(config, args.variant));
  if (promoted->spec.model_ref.empty()) {
    return FailedPreconditionError(fmt::format(
        "variant '{}' serves a package folder, not a registered version: there is no version to promote",
        promoted->name));
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> version, ServedVersion(db, *promoted));
  if (!version) {
    return FailedPreconditionError(
        fmt::format("variant '{}' serves nothing ({} is not set): nothing to promote", promoted->name,
                    promoted->spec.model_ref));
  }
  serving::VariantConfig* champion = ChampionVariant(config);
  if (champion == nullptr) {
    return FailedPreconditionError(
        fmt::format("deployment '{}' has no variant following {}@champion to take the promoted version's "
                    "traffic; add one "
                    "({{name: champion, alias: champion}}) and apply it",
                    config.name, config.model));
  }
  if (champion == promoted) {
    return FailedPreconditionError(
        fmt::format("variant '{}' is the champion variant already", promoted->name));
  }
  ASSIGN_OR_RETURN(std::optional<int64_t> before, ServedVersion(db, *champion));
  if (before == version) {
    return FailedPreconditionError(
        fmt::format("{}@champion is v{} already: nothing to promote", config.model, *version));
  }
  champion->weight = 100;
  promoted->weight = 0;
  const int64_t now = RealClock().WallNanos();
  const std::string reason = args.reason.empty()
                                 ? fmt::format("promoted v{} (variant {}) by hand", *version, promoted->name)
                                 : args.reason;
  ASSIGN_OR_RETURN(auto active, session.deployments->ListRollouts(config.name, /*active_only=*/true));
  std::optional<Rollout> rollout;
  for (const auto& r : active) {
    if (r.candidate_version == *version) rollout = r;
  }
  DeploymentChange change;
  change.decision = UserDecision(config, "promote", reason, now);
  change.decision.model_version = version;
  change.decision.rollout_id = rollout ? std::optional(rollout->id) : std::nullopt;
  change.decision.inputs = json{{"variant", promoted->name},
                                {"champion_before", OptVersion(before)},
                                {"weights_before", WeightsJson(state.config)}}
                               .dump();
  if (config.ToJson() != state.config.ToJson()) change.config = config;
  change.source = "promote";
  change.expected_revision = state.revision.revision;
  ASSIGN_OR_RETURN(ChangeWritten w, Commit(session, change, [&]() -> Status {
                     RETURN_IF_ERROR(db.SetAlias(config.model, "champion", *version, reason, now).status());
                     if (before)
                       RETURN_IF_ERROR(db.SetAlias(config.model, "previous", *before, reason, now).status());
                     if (!rollout) return OkStatus();
                     rollout->state = "promoted";
                     rollout->detail = reason;
                     rollout->updated_ns = now;
                     return session.deployments->UpdateRollout(*rollout);
                   }));
  json out = {
      {"deployment", config.name},      {"model", config.model},
      {"variant", promoted->name},      {"champion", {{"from", OptVersion(before)}, {"to", *version}}},
      {"previous", OptVersion(before)}, {"rollout", rollout ? json(rollout->id) : json()},
      {"weights", WeightsJson(config)}, {"revision", OptVersion(w.revision)},
      {"decision", w.decision_id}};
  PrintDone(args, out,
            fmt::format("promoted {} v{} (variant {}): {}@champion {} -> v{}{}; weights {}{}", config.model,
                        *version, promoted->name, config.model, before ? fmt::format("v{}", *before) : "-",
                        *version, before ? fmt::format(", {}@previous -> v{}", config.model, *before) : "",
                        WeightsText(config), RevisionText(w)));
  return OkStatus();
}

namespace {

// The active rollout's candidate: its variants lose their traffic, its
// version is marked rejected, the rollout ends.
Status RollbackRollout(const DeploymentsArgs& args, DeploymentSession& session, const DeploymentState& state,
                       Rollout rollout, int64_t now) {
  metadata::MetadataStore& db = *session.stores.db;
  serving::DeploymentConfig config = state.config;
  serving::VariantConfig* champion = ChampionVariant(config);
  std::vector<std::string> zeroed;
  for (auto& v : config.variants) {
    ASSIGN_OR_RETURN(std::optional<int64_t> served, ServedVersion(db, v));
    if (&v != champion && served == rollout.candidate_version) {
      v.weight = 0;
      zeroed.push_back(v.name);
    }
  }
  // In a shadow phase the candidate is the shadow: it stops getting copies.
  if (config.shadow) {
    ASSIGN_OR_RETURN(std::optional<int64_t> served, ServedVersion(db, *config.shadow));
    if (served == rollout.candidate_version) {
      zeroed.push_back(config.shadow->name);
      config.shadow.reset();
    }
  }
  if (!(TotalWeight(config) > 0)) {
    if (champion == nullptr) {
      return FailedPreconditionError(fmt::format(
          "rolling back rollout {} would leave deployment '{}' no traffic to serve and it has no champion "
          "variant; set weights by hand",
          rollout.id, config.name));
    }
    champion->weight = 100;
  }
  const std::string reason = args.reason.empty() ? fmt::format("rolled back rollout {} (v{}) by hand",
                                                               rollout.id, rollout.candidate_version)
                                                 : args.reason;
  DeploymentChange change;
  change.decision = UserDecision(config, "rollback", reason, now);
  change.decision.model_version = rollout.candidate_version;
  change.decision.rollout_id = rollout.id;
  change.decision.run_id = rollout.run_id;
  change.decision.inputs = json{{"rollout", rollout.id},
                                {"state_before", rollout.state},
                                {"weights_before", WeightsJson(state.config)}}
                               .dump();
  if (config.ToJson() != state.config.ToJson()) change.config = config;
  change.source = fmt::format("rollback of rollout {}", rollout.id);
  change.expected_revision = state.revision.revision;
  ASSIGN_OR_RETURN(
      ChangeWritten w, Commit(session, change, [&]() -> Status {
        RETURN_IF_ERROR(
            db.SetAlias(config.model, "rejected", rollout.candidate_version, reason, now).status());
        rollout.state = "rolled_back";
        rollout.detail = reason;
        rollout.updated_ns = now;
        return session.deployments->UpdateRollout(rollout);
      }));
  json out = {{"deployment", config.name},
              {"model", config.model},
              {"rollout", rollout.id},
              {"rejected", rollout.candidate_version},
              {"variants_zeroed", zeroed},
              {"weights", WeightsJson(config)},
              {"revision", OptVersion(w.revision)},
              {"decision", w.decision_id}};
  PrintDone(
      args, out,
      fmt::format("rolled back rollout {} of {}: {}@rejected -> v{}; weights {}{}", rollout.id, config.name,
                  config.model, rollout.candidate_version, WeightsText(config), RevisionText(w)));
  return OkStatus();
}

// No rollout: the champion goes back to the version it replaced.
Status RollbackChampion(const DeploymentsArgs& args, DeploymentSession& session, const DeploymentState& state,
                        int64_t now) {
  metadata::MetadataStore& db = *session.stores.db;
  const serving::DeploymentConfig& config = state.config;
  auto previous = db.ResolveModel(config.model + "@previous");
  if (!previous.ok() && previous.status().code() == StatusCode::kNotFound) {
    return FailedPreconditionError(
        fmt::format("nothing to roll back: deployment '{}' has no active rollout and {}@previous is not set "
                    "(a promote sets it)",
                    config.name, config.model));
  }
  if (!previous.ok()) return previous.status();
  auto current = db.ResolveModel(config.model + "@champion");
  std::optional<int64_t> before;
  if (current.ok()) before = current->version;
  if (before == previous->version) {
    return FailedPreconditionError(
        fmt::format("nothing to roll back: {}@champion is v{} already ({}@previous)", config.model,
                    previous->version, config.model));
  }
  const std::string reason = args.reason.empty() ? fmt::format("rolled {}@champion back to v{} by hand",
                                                               config.model, previous->version)
                                                 : args.reason;
  DeploymentChange change;
  change.decision = UserDecision(config, "rollback", reason, now);
  change.decision.model_version = previous->version;
  change.decision.inputs =
      json{{"champion_before", OptVersion(before)}, {"previous", previous->version}}.dump();
  change.source = "rollback";
  change.expected_revision = state.revision.revision;
  ASSIGN_OR_RETURN(ChangeWritten w, Commit(session, change, [&]() -> Status {
                     return db.SetAlias(config.model, "champion", previous->version, reason, now).status();
                   }));
  json out = {{"deployment", config.name},
              {"model", config.model},
              {"champion", {{"from", OptVersion(before)}, {"to", previous->version}}},
              {"rollout", nullptr},
              {"revision", OptVersion(w.revision)},
              {"decision", w.decision_id}};
  PrintDone(args, out,
            fmt::format("rolled back {}: {}@champion {} -> v{}", config.name, config.model,
                        before ? fmt::format("v{}", *before) : "-", previous->version));
  return OkStatus();
}

}  // namespace

Status CmdDeploymentsRollback(const DeploymentsArgs& args) {
  ASSIGN_OR_RETURN(DeploymentSession session, OpenDeploymentSession());
  ASSIGN_OR_RETURN(DeploymentState state, LoadDeployment(*session.deployments, args.name));
  const int64_t now = RealClock().WallNanos();
  ASSIGN_OR_RETURN(auto active, session.deployments->ListRollouts(args.name, /*active_only=*/true));
  if (!active.empty()) return RollbackRollout(args, session, state, active.front(), now);
  return RollbackChampion(args, session, state, now);
}

}  // namespace mlpipe::cli
