#include "mlpipe/engine/checkout.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "mlpipe/base/strings.h"
#include "mlpipe/engine/object_integrity.h"
#include "mlpipe/engine/source_artifact.h"
#include "mlpipe/store/manifest.h"

namespace mlpipe::engine {
namespace fs = std::filesystem;

const char* CheckoutActionName(CheckoutItem::Action action) {
  switch (action) {
    case CheckoutItem::Action::kRestore:
      return "restore";
    case CheckoutItem::Action::kUnchanged:
      return "unchanged";
    case CheckoutItem::Action::kOverwrite:
      return "overwrite";
    case CheckoutItem::Action::kUnavailable:
      return "unavailable";
  }
  return "restore";
}

namespace {

// Where a source goes: under the target as it sits under the pipeline
// folder; one outside that folder at its own path in place, or under
// TARGET/_outside/ with --to.
std::string DestinationOf(const std::string& path, const std::string& pipeline_dir, const std::string& target,
                          bool in_place) {
  fs::path abs = fs::path(path).is_absolute() ? fs::path(path) : fs::path(pipeline_dir) / path;
  abs = abs.lexically_normal();
  fs::path rel = abs.lexically_relative(pipeline_dir);
  const bool inside = !rel.empty() && *rel.begin() != "..";
  if (in_place || inside) return inside ? (fs::path(target) / rel).string() : abs.string();
  return (fs::path(target) / "_outside" / abs.relative_path()).string();
}

// The files under `dir` whose content the store does not hold (at most 3
// named), for the overwrite warning.
std::vector<std::string> UnstoredFiles(store::ObjectStore& objects, store::HashCache& hashes,
                                       const std::string& dest, bool is_dir) {
  std::vector<std::string> out;
  if (!is_dir) {
    auto d = hashes.HashSource(dest);
    if (!d.ok() || !objects.Contains(d->ref)) out.push_back(dest);
    return out;
  }
  auto walk = store::WalkFolder(store::PosixFileSystem(), dest);
  if (!walk.ok()) return {dest};
  for (const auto& w : *walk) {
    if (w.stat.is_dir) continue;
    const std::string file = store::JoinPath(dest, w.rel_path);
    auto d = hashes.HashSource(file);
    if (!d.ok() || !objects.Contains(d->ref)) out.push_back(file);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

StatusOr<CheckoutPlan> PlanCheckout(metadata::MetadataStore& db, store::ObjectStore& objects,
                                    store::HashCache& hashes, int64_t run_id, const std::string& to_dir) {
  ASSIGN_OR_RETURN(metadata::Run run, db.GetRun(run_id));
  CheckoutPlan plan;
  plan.run_id = run_id;
  plan.pipeline = run.pipeline;
  std::error_code ec;
  fs::path spec = fs::absolute(run.spec_path, ec);
  plan.pipeline_dir = (ec ? fs::path(run.spec_path) : spec).parent_path().lexically_normal().string();
  const bool in_place = to_dir.empty();
  fs::path target = in_place ? fs::path(plan.pipeline_dir) : fs::absolute(to_dir, ec).lexically_normal();
  plan.target_dir = target.string();
  while (plan.target_dir.size() > 1 && plan.target_dir.back() == '/') plan.target_dir.pop_back();

  std::map<std::string, CheckoutItem> by_path;
  ASSIGN_OR_RETURN(auto executions, db.ListExecutions(run_id));
  for (const auto& e : executions) {
    ASSIGN_OR_RETURN(auto events, db.EventsForExecution(e.id));
    for (const auto& ev : events) {
      if (ev.kind != metadata::EventKind::kInput) continue;
      const size_t v = ev.version_ref.rfind(":v");
      auto name = ParseSourceArtifactName(std::string_view(ev.version_ref).substr(0, v));
      if (!name || name->pipeline != run.pipeline || by_path.count(name->path)) continue;
      CheckoutItem item;
      item.path = name->path;
      item.label = ev.version_ref;
      item.ref = ev.ref;
      if (auto a = db.GetArtifact(ev.ref); a.ok()) {
        item.size = a->size;
        item.is_dir = a->is_dir;
      }
      item.dest = DestinationOf(item.path, plan.pipeline_dir, plan.target_dir, in_place);
      by_path.emplace(item.path, std::move(item));
    }
  }
  for (auto& [path, item] : by_path) {
    if (!objects.Contains(item.ref)) {
      item.action = CheckoutItem::Action::kUnavailable;
      item.note = WhyAbsent(db, objects, item.ref);
    } else if (fs::exists(fs::symlink_status(item.dest, ec))) {
      auto current = hashes.HashSource(item.dest);
      if (current.ok() && current->ref == item.ref) {
        item.action = CheckoutItem::Action::kUnchanged;
      } else if (auto unstored = UnstoredFiles(objects, hashes, item.dest, fs::is_directory(item.dest, ec));
                 !unstored.empty()) {
        item.action = CheckoutItem::Action::kOverwrite;
        if (unstored.size() > 3) {
          unstored.resize(3);
          unstored.push_back("...");
        }
        item.note = "would overwrite content stored nowhere: " + Join(unstored, ", ");
      }
    }
    plan.items.push_back(std::move(item));
  }
  return plan;
}

Status ApplyCheckout(store::ObjectStore& objects, const CheckoutPlan& plan, bool force) {
  std::vector<std::string> blocked;
  for (const auto& item : plan.items) {
    if (item.action == CheckoutItem::Action::kUnavailable) {
      blocked.push_back(fmt::format("{} ({}) is not in the store: {}", item.path, item.label, item.note));
    } else if (item.action == CheckoutItem::Action::kOverwrite && !force) {
      blocked.push_back(fmt::format("{}: {}", item.path, item.note));
    }
  }
  if (!blocked.empty()) {
    return FailedPreconditionError(
        fmt::format("nothing was restored:\n  {}\n  (content a run read is stored when the run reads it; "
                    "--force overwrites "
                    "content stored nowhere)",
                    Join(blocked, "\n  ")));
  }
  for (const auto& item : plan.items) {
    if (item.action == CheckoutItem::Action::kUnchanged) continue;
    RETURN_IF_ERROR(objects.CopyOut(item.ref, item.dest).WithContext("restoring " + item.path));
  }
  return OkStatus();
}

}  // namespace mlpipe::engine
