// mlpipe checkout RUN [--to DIR]: restores the sources a run read.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/engine/checkout.h"
#include "mlpipe/store/hash_cache.h"

namespace mlpipe::cli {

Status CmdCheckout(const CheckoutArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto hashes, store::HashCache::Open(s.ws.HashCachePath()));
  auto planned = engine::PlanCheckout(*s.db, *s.objects, *hashes, args.run, args.to);
  if (!planned.ok() && planned.status().code() == StatusCode::kNotFound) {
    return NotFoundError(fmt::format("no run {} (`mlpipe runs list` shows the runs)", args.run));
  }
  RETURN_IF_ERROR(planned.status());
  const engine::CheckoutPlan& plan = *planned;
  (void)hashes->Flush();
  Status applied = OkStatus();
  if (!args.dry_run) applied = engine::ApplyCheckout(*s.objects, plan, args.force);
  using Action = engine::CheckoutItem::Action;
  if (args.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& i : plan.items) {
      items.push_back({{"path", i.path},
                       {"dest", i.dest},
                       {"name", i.label},
                       {"digest", i.ref},
                       {"size", i.size},
                       {"is_dir", i.is_dir},
                       {"action", engine::CheckoutActionName(i.action)},
                       {"note", i.note}});
    }
    std::cout << nlohmann::json{{"run", plan.run_id},
                                {"pipeline", plan.pipeline},
                                {"to", plan.target_dir},
                                {"dry_run", args.dry_run},
                                {"restored", applied.ok() && !args.dry_run},
                                {"sources", items}}
                     .dump(2)
              << "\n";
    return applied;
  }
  if (plan.items.empty()) {
    std::cout << fmt::format("run {} read no sources\n", plan.run_id);
    return OkStatus();
  }
  if (!applied.ok()) return applied;
  int restored = 0;
  for (const auto& i : plan.items) {
    std::string verb;
    switch (i.action) {
      case Action::kUnchanged:
        verb = "unchanged";
        break;
      case Action::kRestore:
      case Action::kOverwrite:
        verb = args.dry_run ? "would restore" : "restored";
        break;
      case Action::kUnavailable:
        verb = "unavailable";
        break;
    }
    if (i.action != Action::kUnchanged) ++restored;
    std::cout << fmt::format("{:<13} {}  {} ({}){}\n", verb, i.dest, i.label, FormatBytes(i.size),
                             i.note.empty() || args.dry_run == false ? "" : "  " + i.note);
  }
  std::cout << fmt::format("{} {} of {} source{} of run {} ({}) in {}\n",
                           args.dry_run ? "would restore" : "restored", restored, plan.items.size(),
                           plan.items.size() == 1 ? "" : "s", plan.run_id, plan.pipeline, plan.target_dir);
  return OkStatus();
}

}  // namespace mlpipe::cli
