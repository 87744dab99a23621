// mlpipe deployments apply | list | show | history (and, from
// cmd_deployments_change.cc, set-weights | promote | rollback): deployments
// as stored state (docs/deployments.md). The records live in the metadata
// store (metadata/deployment_store.h); this file parses, checks against the
// registry and prints.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/deployments_common.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/metadata/deployment_view.h"
#include "mlpipe/metadata/model_names.h"

namespace mlpipe::cli {
namespace {

using metadata::Decision;
using metadata::DeploymentRevision;
using metadata::Rollout;
using nlohmann::json;

json OptJson(const std::optional<int64_t>& v) { return v ? json(*v) : json(); }

std::string VersionCell(const std::optional<int64_t>& v) { return v ? fmt::format("v{}", *v) : "-"; }

// Where a variant's traffic goes: "churn@champion", "churn:v4", "package /p".
std::string Follows(const serving::VariantConfig& v) { return v.spec.ToString(); }

// Problems the file cannot show alone: a model that is not registered, a
// pinned version that does not exist (errors, at their line), an alias not
// set yet (a warning: the variant serves nothing until it is).
StatusOr<std::vector<std::string>> CheckAgainstRegistry(metadata::MetadataStore& db,
                                                        const serving::DeploymentConfig& config,
                                                        const serving::DeploymentMarks& marks) {
  auto model = db.GetRegisteredModel(config.model);
  if (!model.ok() && model.status().code() == StatusCode::kNotFound) {
    ASSIGN_OR_RETURN(auto models, db.ListRegisteredModels());
    std::vector<std::string> names;
    for (const auto& m : models) names.push_back(m.name);
    std::string close = ClosestMatch(config.model, names);
    std::string hint =
        !close.empty() ? fmt::format("did you mean '{}'?", close)
        : names.empty()
            ? fmt::format("no model is registered yet: `mlpipe models register {} REF`", config.model)
            : fmt::format("registered models: {}", Join(names, ", "));
    return InvalidArgumentError(
        marks.Error("model", fmt::format("deployment names a missing model '{}'", config.model), hint));
  }
  if (!model.ok()) return model.status();
  std::vector<std::string> versions;
  for (const auto& v : model->versions) versions.push_back(std::to_string(v.version));
  std::vector<std::string> errors, warnings;
  auto check = [&](const serving::VariantConfig& v, const std::string& path) -> Status {
    if (v.spec.model_ref.empty()) return OkStatus();
    auto ref = metadata::ParseModelRef(v.spec.model_ref);
    if (!ref.ok()) return ref.status();
    ASSIGN_OR_RETURN(std::optional<int64_t> served, ServedVersion(db, v));
    if (served) return OkStatus();
    if (ref->version) {
      errors.push_back(marks.Error(
          path + ".version", fmt::format("model '{}' has no version {}", config.model, *ref->version),
          fmt::format("its versions: {}", versions.empty() ? "none" : Join(versions, ", "))));
    } else {
      warnings.push_back(
          fmt::format("variant '{}' follows {}, which is not set: it serves nothing until the "
                      "alias points at a version",
                      v.name, v.spec.model_ref));
    }
    return OkStatus();
  };
  for (size_t i = 0; i < config.variants.size(); ++i) {
    RETURN_IF_ERROR(check(config.variants[i], fmt::format("variants[{}]", i)));
  }
  if (config.shadow) RETURN_IF_ERROR(check(*config.shadow, "shadow"));
  if (!errors.empty()) return InvalidArgumentError(Join(errors, "\n"));
  return warnings;
}

Status CmdDeploymentsApply(const DeploymentsArgs& args) {
  serving::DeploymentMarks marks;
  ASSIGN_OR_RETURN(serving::DeploymentConfig config, serving::DeploymentConfig::FromFile(args.file, &marks));
  ASSIGN_OR_RETURN(DeploymentSession session, OpenDeploymentSession());
  ASSIGN_OR_RETURN(std::vector<std::string> warnings,
                   CheckAgainstRegistry(*session.stores.db, config, marks));
  for (const auto& w : warnings) std::cerr << "mlpipe: warning: " << w << "\n";

  const std::string text = config.ToJson().dump();
  metadata::DeploymentStore& store = *session.deployments;
  auto current = store.GetDeployment(config.name);
  if (!current.ok() && current.status().code() != StatusCode::kNotFound) return current.status();
  const int64_t before = current.ok() ? current->revision : 0;
  json out = {{"deployment", config.name}, {"model", config.model}, {"file", args.file}};
  if (current.ok() && current->config == text) {
    out.update({{"changed", false}, {"revision", before}, {"decision", nullptr}});
    if (args.json) {
      std::cout << out.dump(2) << "\n";
    } else {
      std::cout << fmt::format("deployment {} unchanged (revision {})\n", config.name, before);
    }
    return OkStatus();
  }

  DeploymentChange change;
  change.decision.time_ns = RealClock().WallNanos();
  change.decision.kind = "apply";
  change.decision.deployment = config.name;
  change.decision.model = config.model;
  change.decision.verdict = "done";
  change.decision.reason = args.reason.empty() ? fmt::format("applied {}", args.file) : args.reason;
  change.decision.inputs = json{{"file", args.file}, {"revision_before", before}}.dump();
  change.decision.actor = "user";
  change.source = "apply " + args.file;
  change.expected_revision = before;
  change.config = config;
  metadata::Transaction txn(*session.stores.db);
  RETURN_IF_ERROR(txn.status());
  ASSIGN_OR_RETURN(ChangeWritten written, WriteChange(store, change));
  RETURN_IF_ERROR(txn.Commit());

  out.update({{"changed", true}, {"revision", *written.revision}, {"decision", written.decision_id}});
  if (args.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << fmt::format("deployment {} {} revision {}: {}\n", config.name,
                             before == 0 ? "created at" : "now at", *written.revision, WeightsText(config));
  }
  return OkStatus();
}

Status CmdDeploymentsList(const DeploymentsArgs& args) {
  ASSIGN_OR_RETURN(DeploymentSession session, OpenDeploymentSession());
  ASSIGN_OR_RETURN(auto all, session.deployments->ListDeployments());
  json out = json::array();
  std::vector<std::vector<std::string>> rows = {{"NAME", "MODEL", "REVISION", "VARIANTS", "UPDATED"}};
  for (const auto& r : all) {
    ASSIGN_OR_RETURN(serving::DeploymentConfig config, ConfigOf(r));
    json variants = json::array();
    for (const auto& v : config.variants) {
      variants.push_back({{"name", v.name}, {"follows", Follows(v)}, {"weight", v.weight}});
    }
    out.push_back({{"name", r.name},
                   {"model", r.model},
                   {"revision", r.revision},
                   {"variants", variants},
                   {"source", r.source},
                   {"actor", r.actor},
                   {"updated", FormatTime(r.created_ns)},
                   {"updated_ns", r.created_ns}});
    rows.push_back(
        {r.name, r.model, std::to_string(r.revision), WeightsText(config), FormatTime(r.created_ns)});
  }
  if (args.json) {
    std::cout << out.dump(2) << "\n";
  } else if (all.empty()) {
    std::cout << "no deployments yet (`mlpipe deployments apply FILE`)\n";
  } else {
    std::cout << FormatTable(rows);
  }
  return OkStatus();
}

Status CmdDeploymentsShow(const DeploymentsArgs& args) {
  ASSIGN_OR_RETURN(DeploymentSession session, OpenDeploymentSession());
  metadata::DeploymentStore& store = *session.deployments;
  ASSIGN_OR_RETURN(DeploymentState state, LoadDeployment(store, args.name));
  const int64_t current = state.revision.revision;
  if (args.revision != 0 && args.revision != current) {
    ASSIGN_OR_RETURN(state.revision, store.GetRevision(args.name, args.revision));
    ASSIGN_OR_RETURN(state.config, ConfigOf(state.revision));
  }
  const DeploymentRevision& r = state.revision;
  const serving::DeploymentConfig& config = state.config;
  double total = 0;
  for (const auto& v : config.variants) total += v.weight;
  json variants = json::array();
  std::vector<std::vector<std::string>> rows = {{"VARIANT", "FOLLOWS", "SERVES", "WEIGHT", "SHARE"}};
  for (const auto& v : config.variants) {
    ASSIGN_OR_RETURN(std::optional<int64_t> served, ServedVersion(*session.stores.db, v));
    double share = total > 0 ? v.weight / total : 0;
    variants.push_back({{"name", v.name},
                        {"follows", Follows(v)},
                        {"version", OptJson(served)},
                        {"weight", v.weight},
                        {"share", share}});
    rows.push_back({v.name, Follows(v), v.spec.package_path.empty() ? VersionCell(served) : "package",
                    WeightText(v.weight), fmt::format("{:.1f}%", share * 100)});
  }
  json shadow = nullptr;
  if (config.shadow) {
    ASSIGN_OR_RETURN(std::optional<int64_t> served, ServedVersion(*session.stores.db, *config.shadow));
    shadow = {
        {"name", config.shadow->name}, {"follows", Follows(*config.shadow)}, {"version", OptJson(served)}};
  }
  ASSIGN_OR_RETURN(auto active, store.ListRollouts(args.name, /*active_only=*/true));
  if (args.json) {
    std::cout << json{{"name", r.name},
                      {"model", r.model},
                      {"revision", r.revision},
                      {"current_revision", current},
                      {"source", r.source},
                      {"actor", r.actor},
                      {"reason", r.reason},
                      {"decision", OptJson(r.decision_id)},
                      {"created", FormatTime(r.created_ns)},
                      {"created_ns", r.created_ns},
                      {"variants", variants},
                      {"sticky_header", config.sticky_header},
                      {"shadow", shadow},
                      {"config", config.ToJson()},
                      {"rollout", active.empty()
                                      ? json()
                                      : metadata::RolloutJson(active.front(), metadata::TimeStyle::kLocal)}}
                     .dump(2)
              << "\n";
    return OkStatus();
  }
  std::cout << fmt::format("{}  model {}, revision {}{}\n", r.name, r.model, r.revision,
                           r.revision == current ? "" : fmt::format(" (current: {})", current));
  std::cout << fmt::format("  written  {} by {}: {}{}\n", FormatTime(r.created_ns), r.actor, r.source,
                           r.reason.empty() ? "" : " (" + r.reason + ")");
  std::cout << "\n" << FormatTable(rows);
  if (!config.sticky_header.empty()) std::cout << "\nsticky on header " << config.sticky_header << "\n";
  if (config.shadow)
    std::cout << "shadow   " << config.shadow->name << " -> " << Follows(*config.shadow) << "\n";
  if (active.empty()) {
    std::cout << "\nno active rollout\n";
  } else {
    const Rollout& ro = active.front();
    const std::string where =
        ro.step_index < 0 ? std::string("shadow phase") : fmt::format("step {}", ro.step_index + 1);
    std::cout << fmt::format("\nrollout {}: {}, candidate v{} against champion {}, {}{}\n", ro.id, ro.state,
                             ro.candidate_version, VersionCell(ro.champion_version), where,
                             ro.detail.empty() ? "" : " (" + ro.detail + ")");
  }
  return OkStatus();
}

Status CmdDeploymentsHistory(const DeploymentsArgs& args) {
  ASSIGN_OR_RETURN(DeploymentSession session, OpenDeploymentSession());
  metadata::DeploymentStore& store = *session.deployments;
  ASSIGN_OR_RETURN(DeploymentState state, LoadDeployment(store, args.name));
  ASSIGN_OR_RETURN(auto revisions, store.Revisions(args.name));
  ASSIGN_OR_RETURN(auto decisions, store.ListDecisions({.deployment = args.name, .limit = 0}));
  // One entry a decision (with the revision it made, if any) and one a
  // revision no decision is behind; newest first.
  struct Entry {
    int64_t time_ns;
    json j;
    std::vector<std::string> row;
  };
  std::map<int64_t, const DeploymentRevision*> revision_of;  // decision id -> revision
  for (const auto& r : revisions) {
    if (r.decision_id) revision_of[*r.decision_id] = &r;
  }
  std::set<int64_t> listed;  // decisions shown, each with its revision
  for (const auto& d : decisions) listed.insert(d.id);
  std::vector<Entry> entries;
  for (auto it = decisions.rbegin(); it != decisions.rend(); ++it) {  // oldest first
    json j = metadata::DecisionJson(*it, metadata::TimeStyle::kLocal);
    auto rev = revision_of.find(it->id);
    j["revision"] = rev == revision_of.end() ? json() : json(rev->second->revision);
    std::string reason = it->reason;
    if (it->model_version) reason = fmt::format("v{}: {}", *it->model_version, reason);
    entries.push_back(
        {it->time_ns,
         j,
         {FormatTime(it->time_ns), it->kind, it->verdict,
          rev == revision_of.end() ? "-" : std::to_string(rev->second->revision), it->actor, reason}});
  }
  for (const auto& r : revisions) {
    if (r.decision_id && listed.count(*r.decision_id) > 0) continue;
    json j = {{"kind", "revision"},
              {"revision", r.revision},
              {"time", FormatTime(r.created_ns)},
              {"time_ns", r.created_ns},
              {"source", r.source},
              {"actor", r.actor},
              {"reason", r.reason},
              {"decision", OptJson(r.decision_id)}};
    std::string reason = r.source + (r.reason.empty() ? "" : ": " + r.reason);
    entries.push_back(
        {r.created_ns,
         j,
         {FormatTime(r.created_ns), "revision", "-", std::to_string(r.revision), r.actor, reason}});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.time_ns < b.time_ns; });
  std::reverse(entries.begin(), entries.end());
  if (args.limit > 0 && entries.size() > static_cast<size_t>(args.limit)) entries.resize(args.limit);
  if (args.json) {
    json out = json::array();
    for (auto& e : entries) out.push_back(std::move(e.j));
    std::cout
        << json{{"deployment", args.name}, {"revision", state.revision.revision}, {"history", out}}.dump(2)
        << "\n";
    return OkStatus();
  }
  std::cout << fmt::format("{}: revision {}, {} revisions, {} decisions (newest first)\n\n", args.name,
                           state.revision.revision, revisions.size(), decisions.size());
  std::vector<std::vector<std::string>> rows = {{"TIME", "KIND", "VERDICT", "REVISION", "ACTOR", "REASON"}};
  for (const auto& e : entries) rows.push_back(e.row);
  std::cout << FormatTable(rows);
  return OkStatus();
}

}  // namespace

void AddDeploymentsCommands(CLI::App& app, Action* action) {
  auto* group = app.add_subcommand(
      "deployments",
      "Deployments as stored state: apply, list, show, history, set-weights, promote, rollback");
  group->require_subcommand(1);
  auto bind = [action](CLI::App* cmd, DeploymentsArgs* args, Status (*fn)(const DeploymentsArgs&)) {
    cmd->add_flag("--json", args->json, "Output as JSON");
    cmd->callback([action, args, fn] { *action = [args, fn] { return fn(*args); }; });
  };

  static auto* apply_args = new DeploymentsArgs;
  auto* apply = group->add_subcommand(
      "apply", "Create or update a deployment from a YAML file (a new revision only if it changed)");
  apply->add_option("file", apply_args->file, "The deployment YAML file")->required();
  apply->add_option("--reason", apply_args->reason, "Why (recorded with the revision and its decision)");
  bind(apply, apply_args, CmdDeploymentsApply);

  static auto* list_args = new DeploymentsArgs;
  auto* list = group->add_subcommand("list", "Deployments with their model, revision and variant weights");
  bind(list, list_args, CmdDeploymentsList);

  static auto* show_args = new DeploymentsArgs;
  auto* show = group->add_subcommand(
      "show", "A deployment's config, the versions its variants serve now and its active rollout");
  show->add_option("name", show_args->name, "Deployment name")->required();
  show->add_option("--revision", show_args->revision,
                   "Show this revision's config (default: the current one)")
      ->check(CLI::PositiveNumber);
  bind(show, show_args, CmdDeploymentsShow);

  static auto* history_args = new DeploymentsArgs;
  auto* history =
      group->add_subcommand("history", "A deployment's revisions and decisions, newest first, with reasons");
  history->add_option("name", history_args->name, "Deployment name")->required();
  history->add_option("--limit", history_args->limit, "At most this many entries (0 = all; default 50)")
      ->check(CLI::NonNegativeNumber);
  bind(history, history_args, CmdDeploymentsHistory);

  static auto* weights_args = new DeploymentsArgs;
  auto* weights = group->add_subcommand("set-weights", "Set variant weights by hand: a new revision");
  weights->add_option("name", weights_args->name, "Deployment name")->required();
  weights->add_option("weights", weights_args->weights, "VARIANT=WEIGHT, one or more (weights sum > 0)")
      ->required();
  weights->add_option("--reason", weights_args->reason, "Why (recorded with the revision and its decision)");
  bind(weights, weights_args, CmdDeploymentsSetWeights);

  static auto* promote_args = new DeploymentsArgs;
  auto* promote = group->add_subcommand(
      "promote", "Make the version a variant serves the model's champion; its traffic goes to the champion");
  promote->add_option("name", promote_args->name, "Deployment name")->required();
  promote->add_option("--variant", promote_args->variant, "The variant to promote (default: candidate)");
  promote->add_option("--reason", promote_args->reason,
                      "Why (recorded with the alias moves and the decision)");
  bind(promote, promote_args, CmdDeploymentsPromote);

  static auto* rollback_args = new DeploymentsArgs;
  auto* rollback = group->add_subcommand(
      "rollback", "Roll back the active rollout's candidate, or else the champion to its previous version");
  rollback->add_option("name", rollback_args->name, "Deployment name")->required();
  rollback->add_option("--reason", rollback_args->reason,
                       "Why (recorded with the alias moves and the decision)");
  bind(rollback, rollback_args, CmdDeploymentsRollback);
}

}  // namespace mlpipe::cli
