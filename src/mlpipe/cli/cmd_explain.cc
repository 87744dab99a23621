// mlpipe explain DECISION: a recorded automated decision (a gate, a rollout
// judgement, a step, a promotion, a rollback), its numbers, and the same
// decision recomputed from what the record stores (deploy/explain.h). Exit 1
// when the recomputation does not come out the same.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/deploy/explain.h"
#include "mlpipe/metadata/deployment_view.h"

namespace mlpipe::cli {
namespace {

using json = nlohmann::json;

struct ExplainArgs {
  int64_t decision = 0;
  bool json = false;
};

Status CmdExplain(const ExplainArgs& args) {
  ASSIGN_OR_RETURN(OpenStores stores, OpenAll());
  ASSIGN_OR_RETURN(auto deployments, OpenDeploymentStore(stores));
  auto d = deployments->GetDecision(args.decision);
  if (!d.ok()) {
    if (d.status().code() == StatusCode::kNotFound) {
      return NotFoundError(
          fmt::format("no decision {} (mlpipe deployments history NAME lists them)", args.decision));
    }
    return d.status();
  }
  ASSIGN_OR_RETURN(deploy::Explanation e, deploy::ExplainDecision(*d, *stores.db, *stores.objects));
  if (args.json) {
    std::cout << json{{"decision", metadata::DecisionJson(*d, metadata::TimeStyle::kLocal)},
                      {"recomputed", e.ToJson()}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << fmt::format("decision {}  {}  {}  {}\n", d->id, d->kind, d->verdict, FormatTime(d->time_ns));
    std::string subject = d->deployment.empty() ? "" : "deployment " + d->deployment + "  ";
    subject += "model " + d->model + (d->model_version ? fmt::format(" v{}", *d->model_version) : "");
    if (d->run_id) subject += fmt::format("  run {}", *d->run_id);
    if (d->rollout_id) subject += fmt::format("  rollout {}", *d->rollout_id);
    if (d->seed) subject += fmt::format("  seed {}", *d->seed);
    std::cout << subject << "  (by " << d->actor << ")\n";
    std::cout << "reason:     " << d->reason << "\n";
    std::cout << "inputs:     " << metadata::StoredJson(d->inputs).dump() << "\n";
    std::cout << "thresholds: " << metadata::StoredJson(d->thresholds).dump() << "\n";
    std::cout << "statistics: " << metadata::StoredJson(d->statistics).dump() << "\n";
    if (!e.recomputable) {
      std::cout << "recomputed: nothing to recompute: " << e.note << "\n";
    } else if (e.same) {
      std::cout << fmt::format("recomputed: the same: {} ({})\n", e.verdict, e.note);
    } else {
      std::cout << fmt::format("recomputed: DIFFERENT: {}: {}\n  statistics: {}\n  ({})\n", e.verdict,
                               e.reason, e.statistics.dump(), e.note);
    }
  }
  if (e.recomputable && !e.same) {
    return FailedPreconditionError(fmt::format("decision {} does not recompute the same", d->id));
  }
  return OkStatus();
}

}  // namespace

void AddExplainCommand(CLI::App& app, Action* action) {
  static ExplainArgs args;
  auto* cmd =
      app.add_subcommand("explain", "Show an automated decision and recompute it from its recorded inputs");
  cmd->add_option("decision", args.decision, "Decision id (mlpipe deployments history NAME lists them)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", args.json, "Print JSON");
  cmd->callback([action] { *action = [] { return CmdExplain(args); }; });
}

}  // namespace mlpipe::cli
