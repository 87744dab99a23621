// mlpipe artifacts gc | verify: the object store as a whole.
#include <fmt/format.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/engine/object_integrity.h"

namespace mlpipe::cli {
namespace {

using nlohmann::json;

// "lending_club.train.model:v3, model lending-club:v2": what names a ref.
std::string NamesOf(metadata::MetadataStore& db, const std::string& ref) {
  std::vector<std::string> names;
  if (auto versions = db.VersionsOf(ref); versions.ok()) {
    for (const auto& v : *versions) names.push_back(v.Label());
  }
  if (auto models = db.ModelVersionsOf(ref); models.ok()) {
    for (const auto& m : *models) names.push_back(fmt::format("model {}:v{}", m.name, m.version));
  }
  return Join(names, ", ");
}

const char* KindName(store::ProblemKind kind) {
  switch (kind) {
    case store::ProblemKind::kDamaged:
      return "damaged";
    case store::ProblemKind::kMissing:
      return "missing";
    case store::ProblemKind::kUnreadable:
      return "unreadable";
  }
  return "damaged";
}

}  // namespace

Status CmdArtifactsGc(const GcArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto runs, s.db->ListRuns(0));
  for (const auto& r : runs) {
    if (r.status == metadata::RunStatus::kRunning && r.host == HostName() && ProcessAlive(r.pid)) {
      return FailedPreconditionError(fmt::format(
          "run {} of pipeline '{}' is running (pid {}); gc waits for no run", r.id, r.pipeline, r.pid));
    }
  }
  // What is kept: everything a remaining run read or wrote (which covers every
  // remaining cache entry), every registered model version, and the newest N
  // versions of every name.
  std::set<std::string> keep;
  for (const auto& r : runs) {
    ASSIGN_OR_RETURN(auto execs, s.db->ListExecutions(r.id));
    for (const auto& e : execs) {
      ASSIGN_OR_RETURN(auto events, s.db->EventsForExecution(e.id));
      for (const auto& ev : events) keep.insert(ev.ref);
    }
  }
  // Registered model versions are kept whatever their runs.
  ASSIGN_OR_RETURN(auto models, s.db->ListRegisteredModels());
  for (const auto& m : models) {
    ASSIGN_OR_RETURN(auto detail, s.db->GetRegisteredModel(m.name));
    for (const auto& v : detail.versions) keep.insert(v.ref);
  }
  ASSIGN_OR_RETURN(auto versions, s.db->ListArtifactVersions(""));
  std::map<std::string, std::vector<const metadata::ArtifactVersion*>> by_name;
  for (const auto& v : versions) by_name[v.name].push_back(&v);
  for (auto& [name, list] : by_name) {
    std::sort(list.begin(), list.end(), [](auto* a, auto* b) { return a->version > b->version; });
    for (size_t i = 0; i < list.size() && i < static_cast<size_t>(std::max(0, args.keep_versions)); ++i) {
      keep.insert(list[i]->ref);
    }
  }
  // Folders keep their blobs.
  std::set<std::string> keep_blobs;
  for (const auto& ref : keep) {
    if (s.objects->IsFolder(ref)) {
      auto blobs = s.objects->ReferencedBlobs(ref);
      if (blobs.ok()) keep_blobs.insert(blobs->begin(), blobs->end());
    }
  }
  ASSIGN_OR_RETURN(auto objects, s.objects->ListObjects());
  std::vector<store::ObjectInfo> doomed;
  uint64_t freed = 0;
  for (const auto& o : objects) {
    if (keep.count(o.ref) || (!o.is_dir && keep_blobs.count(o.ref))) continue;
    doomed.push_back(o);
    if (!o.is_dir) freed += o.size;
  }
  // Folders first, so a crash in between never leaves a folder without blobs.
  std::stable_sort(doomed.begin(), doomed.end(),
                   [](const auto& a, const auto& b) { return a.is_dir > b.is_dir; });
  json removed = json::array();
  for (const auto& o : doomed) {
    if (!args.dry_run) {
      RETURN_IF_ERROR(s.objects->Remove(o.ref));
      // Recorded, so that `artifacts show` and `verify` tell it from a lost object.
      RETURN_IF_ERROR(s.db->RecordObjectRemoval({o.ref, "gc", "", RealClock().WallNanos()}));
    }
    removed.push_back({{"ref", o.ref}, {"size", o.size}, {"is_dir", o.is_dir}});
    if (!args.json) {
      std::cout << fmt::format("{} {} {} ({})\n", args.dry_run ? "would remove" : "removed",
                               o.is_dir ? "folder" : "file", o.ref, FormatBytes(o.size));
    }
  }
  if (args.json) {
    std::cout << json{{"dry_run", args.dry_run},
                      {"removed", removed},
                      {"freed_bytes", freed},
                      {"kept", objects.size() - doomed.size()}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << fmt::format("{} {} object{}, {}; kept {}\n", args.dry_run ? "would free" : "freed",
                             doomed.size(), doomed.size() == 1 ? "" : "s", FormatBytes(freed),
                             objects.size() - doomed.size());
  }
  return OkStatus();
}

Status CmdArtifactsVerify(const VerifyArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto report, s.objects->Verify());
  // What metadata names that the store lacks, unless its absence is recorded
  // (garbage-collected, quarantined, a source never stored).
  std::set<std::string> reported;
  for (const auto& p : report.problems) reported.insert(p.ref);
  ASSIGN_OR_RETURN(auto referenced, s.db->ReferencedRefs());
  ASSIGN_OR_RETURN(auto removed_list, s.db->RemovedRefs());
  const std::set<std::string> removed(removed_list.begin(), removed_list.end());
  uint64_t references_checked = 0;
  for (const std::string& ref : referenced) {
    ++references_checked;
    if (reported.count(ref) || removed.count(ref) || s.objects->Contains(ref)) continue;
    if (auto note = s.objects->QuarantinedAs(ref)) {
      // Quarantined by a run or a checkout that could not record it.
      if (args.repair) (void)engine::RecordQuarantined(*s.db, ref, note->detail, note->quarantined_ns);
      continue;
    }
    report.problems.push_back(
        {ref, "", store::ProblemKind::kMissing,
         "metadata names it but the store has neither its file nor its folder manifest"});
  }
  // --repair: damaged objects leave the store, and the cache entries that
  // would reuse them go (recorded), so the next run recomputes them.
  json problems = json::array();
  size_t repaired = 0;
  for (const auto& p : report.problems) {
    const std::string names = NamesOf(*s.db, p.ref);
    std::string repair;
    if (args.repair && p.kind == store::ProblemKind::kDamaged) {
      Status q = s.objects->Quarantine(p.ref, p.detail);
      if (q.ok()) {
        auto note = engine::RecordQuarantined(*s.db, p.ref, p.detail, RealClock().WallNanos());
        repair = note.ok() ? (note->empty() ? "quarantined" : "quarantined; " + *note)
                           : "quarantined, but not recorded: " + note.status().message();
        ++repaired;
      } else {
        repair = "could not quarantine: " + q.message();
      }
    }
    problems.push_back({{"ref", p.ref},
                        {"kind", KindName(p.kind)},
                        {"path", p.path},
                        {"detail", p.detail},
                        {"names", names},
                        {"repair", repair}});
    if (!args.json) {
      std::string upper = KindName(p.kind);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      std::cout << fmt::format("{} {}{}{}: {}\n", upper, p.ref, names.empty() ? "" : " (" + names + ")",
                               p.path.empty() ? "" : " at " + p.path, p.detail);
      if (!repair.empty()) std::cout << "  repaired: " << repair << "\n";
    }
  }
  if (args.json) {
    std::cout << json{{"ok", report.ok()},
                      {"blobs", report.blobs_checked},
                      {"folders", report.folders_checked},
                      {"bytes", report.bytes_checked},
                      {"references", references_checked},
                      {"repaired", repaired},
                      {"problems", problems}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << fmt::format(
        "verified {} files and {} folders ({}) and {} references: {}\n", report.blobs_checked,
        report.folders_checked, FormatBytes(report.bytes_checked), references_checked,
        report.ok() ? "all good"
        : repaired  ? fmt::format("{} problems, {} repaired", report.problems.size(), repaired)
                    : fmt::format("{} problems", report.problems.size()));
    if (!report.ok() && !args.repair) {
      std::cout
          << "`mlpipe artifacts verify --repair` quarantines damaged objects so that runs recompute them\n";
    }
  }
  if (!report.ok())
    return DataLossError(fmt::format("{} damaged or missing objects", report.problems.size()));
  return OkStatus();
}

}  // namespace mlpipe::cli
