// mlpipe artifacts gc | verify: the object store as a whole.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/engine/node_step.h"
#include "mlpipe/engine/object_integrity.h"
#include "mlpipe/engine/pipeline_lock.h"
#include "mlpipe/engine/run_leftovers.h"
#include "mlpipe/spec/units.h"
#include "mlpipe/store/remote_maintenance.h"
#include "mlpipe/store/space_reserve.h"

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

// "run 3 of pipeline 'p' (pid 42)": who holds the workspace lock shared, for
// gc's messages.
std::string RunningRuns(metadata::MetadataStore& db) {
  std::vector<std::string> running;
  if (auto runs = db.ListRuns(0); runs.ok()) {
    for (const auto& r : *runs) {
      if (r.status == metadata::RunStatus::kRunning && r.host == HostName() && ProcessAlive(r.pid))
        running.push_back(fmt::format("run {} of pipeline '{}' (pid {})", r.id, r.pipeline, r.pid));
    }
  }
  if (running.empty()) return "a run or a model registration";
  return Join(running, ", ");
}

// What is wrong with the metadata itself: its database's consistency check
// (PRAGMA quick_check), and a store of objects that the metadata knows
// nothing of, which is what a damaged WAL leaves (SQLite then opens the
// database as it was at the last checkpoint, possibly empty, without an
// error). Sets `*unnamed` to the objects no metadata names (an interrupted
// or deleted run leaves some: a note, not a problem, unless nothing is named).
std::vector<std::string> MetadataProblems(OpenStores& s, const std::set<std::string>& referenced,
                                          const std::set<std::string>& removed, size_t* unnamed) {
  std::vector<std::string> problems;
  auto integrity = s.db->CheckIntegrity();
  if (!integrity.ok())
    problems.push_back("the metadata database cannot be checked: " + integrity.status().message());
  for (const std::string& line : integrity.ok() ? *integrity : std::vector<std::string>()) {
    problems.push_back("metadata database: " + line);
  }
  *unnamed = 0;
  auto objects = s.objects->ListObjects();
  if (!objects.ok()) return problems;
  std::set<std::string> named = referenced;
  for (const std::string& ref : referenced) {
    if (!s.objects->IsFolder(ref)) continue;
    if (auto blobs = s.objects->ReferencedBlobs(ref); blobs.ok()) named.insert(blobs->begin(), blobs->end());
  }
  for (const auto& o : *objects) *unnamed += !named.count(o.ref) && !removed.count(o.ref);
  auto runs = s.db->ListRuns(1);
  if (runs.ok() && runs->empty() && referenced.empty() && !objects->empty()) {
    problems.push_back(fmt::format(
        "the metadata names no run and no artifact, but the store holds {} objects: the metadata was lost (a "
        "damaged or removed .mlpipe/metadata.db-wal?); restore .mlpipe/metadata.db, metadata.db-wal and "
        "metadata.db-shm together from a backup, and do not run `mlpipe artifacts gc` before (it would "
        "remove "
        "every object)",
        objects->size()));
  }
  return problems;
}

// `--remote` without an S3 store: InvalidArgument (exit 2) saying where one is set.
Status NeedSharedStore(const OpenStores& s, std::string_view what) {
  if (s.shared != nullptr) return OkStatus();
  return InvalidArgumentError(fmt::format(
      "{}: this workspace has no S3 store (objects.s3 in .mlpipe/config.yaml, or MLPIPE_S3_ENDPOINT and "
      "MLPIPE_S3_BUCKET; see docs/cluster.md)",
      what));
}

}  // namespace

Status CmdArtifactsGc(const GcArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  if (args.remote) RETURN_IF_ERROR(NeedSharedStore(s, "artifacts gc --remote"));
  // gc reads and removes what this workspace holds; the S3 store is asked
  // explicitly below, never fetched from.
  s.objects->SetRemote(nullptr);
  // The workspace lock, exclusive, held until gc returns: across the snapshot
  // of what is kept and the removal, no run adds or reuses an object
  // (engine/pipeline_lock.h).
  engine::FileLock lock;
  Status locked = lock.Acquire(
      s.ws.LockPath("workspace"), engine::LockMode::kExclusive,
      [&](const std::string&) {
        if (!args.no_wait)
          std::cerr << "mlpipe: artifacts gc: waiting for " << RunningRuns(*s.db) << " to finish\n";
      },
      !args.no_wait);
  if (!locked.ok() && locked.code() == StatusCode::kFailedPrecondition) {
    return FailedPreconditionError(fmt::format(
        "artifacts gc --no-wait: {} in progress; nothing was removed (without --no-wait gc waits for it)",
        RunningRuns(*s.db)));
  }
  RETURN_IF_ERROR(locked);
  lock.SetHolderInfo(fmt::format("artifacts gc, pid {}", getpid()));
  // On a full disk the metadata writes below need room before anything is
  // freed: the reserve gives it (made again at the end).
  if (!args.dry_run) (void)store::ReleaseSpaceReserve(s.ws);
  // What finished runs left in their folders (engine/run_leftovers.h).
  ASSIGN_OR_RETURN(engine::RunLeftovers leftovers, engine::ReclaimRunLeftovers(s.ws, *s.db, args.dry_run));
  ASSIGN_OR_RETURN(auto runs, s.db->ListRuns(0));
  // A metadata store that never recorded a run, beside objects: it was lost
  // and made again (a damaged or removed WAL), and every object would go.
  ASSIGN_OR_RETURN(int64_t highest_run, s.db->HighestRunIdEver());
  if (highest_run == 0 && !args.force) {
    ASSIGN_OR_RETURN(auto stored, s.objects->ListObjects());
    ASSIGN_OR_RETURN(auto registered, s.db->ListRegisteredModels());
    if (!stored.empty() && registered.empty()) {
      return FailedPreconditionError(fmt::format(
          "artifacts gc: the metadata never recorded a run, but the store holds {} objects: the metadata was "
          "probably lost (see `mlpipe artifacts verify`), and gc would remove every object; nothing was "
          "removed. Restore .mlpipe/metadata.db, metadata.db-wal and metadata.db-shm together from a backup, "
          "or pass --force to remove them anyway",
          stored.size()));
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
  // Recorded before the files go, in one transaction (a few pages of WAL
  // where one commit an object needed as many), so that `artifacts show` and
  // `verify` tell them from lost objects; an object recorded but still
  // present after a crash is garbage the next gc removes.
  // With an S3 store, a local object the bucket also holds is only a cached
  // copy: removing it loses nothing, and is not recorded.
  std::set<std::string> still_shared;
  if (s.shared != nullptr) {
    for (const auto& o : doomed) {
      ASSIGN_OR_RETURN(bool there, s.shared->remote->Contains(o.ref));
      if (there) still_shared.insert(o.ref);
    }
  }
  const int64_t now = RealClock().WallNanos();
  if (!args.dry_run && doomed.size() > still_shared.size()) {
    metadata::Transaction txn(*s.db);
    RETURN_IF_ERROR(txn.status());
    for (const auto& o : doomed) {
      if (!still_shared.count(o.ref)) RETURN_IF_ERROR(s.db->RecordObjectRemoval({o.ref, "gc", "", now}));
    }
    RETURN_IF_ERROR(txn.Commit());
  }
  json removed = json::array();
  for (const auto& o : doomed) {
    if (!args.dry_run) RETURN_IF_ERROR(s.objects->Remove(o.ref));
    removed.push_back({{"ref", o.ref}, {"size", o.size}, {"is_dir", o.is_dir}});
    if (!args.json) {
      std::cout << fmt::format("{} {} {} ({})\n", args.dry_run ? "would remove" : "removed",
                               o.is_dir ? "folder" : "file", o.ref, FormatBytes(o.size));
    }
  }
  // --remote: the bucket, against the same kept set (the metadata every
  // workspace on it shares).
  json shared_json;
  if (args.remote) {
    store::RemoteObjects& remote = *s.shared->remote;
    ASSIGN_OR_RETURN(store::RemoteGcPlan plan, store::PlanRemoteGc(remote, keep, args.min_age_ns, now));
    if (!args.dry_run && !plan.doomed.empty()) {
      // Recorded first, as above; then a folder's manifest goes before its
      // blobs, so a crash never leaves a manifest whose blobs are gone.
      metadata::Transaction txn(*s.db);
      RETURN_IF_ERROR(txn.status());
      for (const auto& o : plan.doomed) {
        RETURN_IF_ERROR(
            s.db->RecordObjectRemoval({o.ref, "gc", fmt::format("removed from {}", remote.Describe()), now}));
      }
      RETURN_IF_ERROR(txn.Commit());
      for (const auto& o : plan.doomed) {
        Status gone = remote.Remove(o.ref);
        // Already gone (another gc at once) is what gc wanted.
        if (!gone.ok() && gone.code() != StatusCode::kNotFound) return gone;
      }
    }
    json shared_removed = json::array();
    for (const auto& o : plan.doomed) {
      shared_removed.push_back({{"ref", o.ref}, {"size", o.stored_bytes}, {"is_dir", o.is_dir}});
      if (!args.json) {
        std::cout << fmt::format("{} {} {} from S3 ({})\n", args.dry_run ? "would remove" : "removed",
                                 o.is_dir ? "folder manifest" : "file", o.ref, FormatBytes(o.stored_bytes));
      }
    }
    ASSIGN_OR_RETURN(int stale_steps,
                     engine::RemoveStaleNodeSteps(*s.shared->client, args.min_age_ns, now, args.dry_run));
    shared_json = {{"where", remote.Describe()},       {"removed", shared_removed},
                   {"freed_bytes", plan.doomed_bytes}, {"kept", plan.kept},
                   {"kept_young", plan.young},         {"stale_node_steps", stale_steps}};
    if (!args.json && stale_steps > 0) {
      std::cout << fmt::format("S3: {} the request and result of {} staged Slurm step{} no run read back\n",
                               args.dry_run ? "would remove" : "removed", stale_steps,
                               stale_steps == 1 ? "" : "s");
    }
    if (!args.json) {
      std::cout << fmt::format(
          "S3 ({}): {} {} object{}, {}; kept {} named and {} written in the last {} (another node's run may "
          "not have recorded them yet)\n",
          remote.Describe(), args.dry_run ? "would free" : "freed", plan.doomed.size(),
          plan.doomed.size() == 1 ? "" : "s", FormatBytes(plan.doomed_bytes), plan.kept, plan.young,
          spec::DurationText(args.min_age_ns));
    }
  }
  if (args.json) {
    json out{{"dry_run", args.dry_run},
             {"removed", removed},
             {"freed_bytes", freed},
             {"kept", objects.size() - doomed.size()},
             {"still_in_s3", still_shared.size()},
             {"run_leftovers", leftovers.paths},
             {"run_leftover_bytes", leftovers.bytes}};
    if (args.remote) out["s3"] = shared_json;
    std::cout << out.dump(2) << "\n";
  } else {
    for (const std::string& path : leftovers.paths)
      std::cout << fmt::format("{} {}\n", args.dry_run ? "would remove" : "removed", path);
    std::cout << fmt::format("{} {} object{}, {}; kept {}", args.dry_run ? "would free" : "freed",
                             doomed.size(), doomed.size() == 1 ? "" : "s", FormatBytes(freed),
                             objects.size() - doomed.size());
    if (!leftovers.paths.empty()) {
      std::cout << fmt::format("; and {} of what finished runs left in their folders ({} paths)",
                               FormatBytes(leftovers.bytes), leftovers.paths.size());
    }
    if (!still_shared.empty()) {
      std::cout << fmt::format("; {} of the removed are still in S3{}", still_shared.size(),
                               args.remote ? "" : " (`--remote` collects there too)");
    }
    std::cout << "\n";
  }
  if (!args.dry_run) (void)store::EnsureSpaceReserve(s.ws);
  return OkStatus();
}

Status CmdArtifactsVerify(const VerifyArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  if (args.remote) RETURN_IF_ERROR(NeedSharedStore(s, "artifacts verify --remote"));
  // The local store is checked as it is (nothing fetched into it); the S3
  // store, when there is one, is asked whether it holds what is named.
  store::RemoteObjects* remote = s.shared != nullptr ? s.shared->remote.get() : nullptr;
  s.objects->SetRemote(nullptr);
  ASSIGN_OR_RETURN(auto report, s.objects->Verify());
  // What metadata names that the store lacks, unless its absence is recorded
  // (garbage-collected, quarantined, a source never stored).
  std::set<std::string> reported;
  for (const auto& p : report.problems) reported.insert(p.ref);
  ASSIGN_OR_RETURN(auto referenced, s.db->ReferencedRefs());
  ASSIGN_OR_RETURN(auto removed_list, s.db->RemovedRefs());
  const std::set<std::string> removed(removed_list.begin(), removed_list.end());
  uint64_t references_checked = 0;
  uint64_t only_in_s3 = 0;
  for (const std::string& ref : referenced) {
    ++references_checked;
    if (reported.count(ref) || removed.count(ref) || s.objects->Contains(ref)) continue;
    if (remote != nullptr) {
      ASSIGN_OR_RETURN(bool there, remote->Contains(ref));
      only_in_s3 += there;
      if (there) continue;
    }
    if (auto note = s.objects->QuarantinedAs(ref)) {
      // Quarantined by a run or a checkout that could not record it.
      if (args.repair) (void)engine::RecordQuarantined(*s.db, ref, note->detail, note->quarantined_ns);
      continue;
    }
    report.problems.push_back(
        {ref, "", store::ProblemKind::kMissing,
         remote == nullptr ? "metadata names it but the store has neither its file nor its folder manifest"
                           : "metadata names it but neither this workspace nor the S3 store has it"});
  }
  // --remote: the bucket's copy of everything named, downloaded and re-hashed.
  store::RemoteVerifyResult shared;
  const size_t local_problems = report.problems.size();
  if (args.remote) {
    ASSIGN_OR_RETURN(shared, store::VerifyRemote(*remote, *s.objects, referenced, removed, args.repair));
    report.problems.insert(report.problems.end(), shared.problems.begin(), shared.problems.end());
  }
  size_t unnamed = 0;
  const std::vector<std::string> metadata_problems =
      MetadataProblems(s, std::set<std::string>(referenced.begin(), referenced.end()), removed, &unnamed);
  // --repair: damaged objects leave the store, and the cache entries that
  // would reuse them go (recorded), so the next run recomputes them.
  json problems = json::array();
  size_t repaired = 0;
  for (size_t i = 0; i < report.problems.size(); ++i) {
    const auto& p = report.problems[i];
    const std::string names = NamesOf(*s.db, p.ref);
    std::string repair;
    if (i >= local_problems) {  // the S3 store's
      if (auto did = shared.repairs.find(p.ref); did != shared.repairs.end()) {
        repair = did->second;
        repaired += StartsWith(repair, "sent");
      }
    } else if (args.repair && p.kind == store::ProblemKind::kDamaged) {
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
  const bool ok = report.ok() && metadata_problems.empty();
  if (!args.json) {
    for (const std::string& p : metadata_problems) std::cout << "METADATA " << p << "\n";
    if (unnamed > 0) {
      std::cout << fmt::format(
          "note: {} object{} in the store named by no run, artifact or model (an interrupted or deleted run "
          "leaves some; `mlpipe artifacts gc` removes them)\n",
          unnamed, unnamed == 1 ? " is" : "s are");
    }
  }
  if (args.json) {
    std::cout << json{{"ok", ok},
                      {"metadata_problems", metadata_problems},
                      {"unnamed_objects", unnamed},
                      {"blobs", report.blobs_checked},
                      {"folders", report.folders_checked},
                      {"bytes", report.bytes_checked},
                      {"references", references_checked},
                      {"references_only_in_s3", only_in_s3},
                      {"s3_checked", shared.checked},
                      {"s3_bytes", shared.bytes},
                      {"repaired", repaired},
                      {"problems", problems}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << fmt::format(
        "verified {} files and {} folders ({}) and {} references: {}\n", report.blobs_checked,
        report.folders_checked, FormatBytes(report.bytes_checked), references_checked,
        ok         ? "all good"
        : repaired ? fmt::format("{} problems, {} repaired", report.problems.size(), repaired)
                   : fmt::format("{} problems", report.problems.size() + metadata_problems.size()));
    if (remote != nullptr) {
      std::cout << fmt::format("S3 ({}): {} named object{} only there", remote->Describe(), only_in_s3,
                               only_in_s3 == 1 ? "" : "s");
      if (args.remote) {
        std::cout << fmt::format("; {} re-hashed there ({})", shared.checked, FormatBytes(shared.bytes));
      }
      std::cout << "\n";
    }
    if (!report.ok() && !args.repair) {
      std::cout
          << "`mlpipe artifacts verify --repair` quarantines damaged objects so that runs recompute them\n";
    }
  }
  if (!metadata_problems.empty()) {
    return DataLossError(fmt::format("the metadata is damaged or lost ({} problem{})",
                                     metadata_problems.size(), metadata_problems.size() == 1 ? "" : "s"));
  }
  if (!report.ok())
    return DataLossError(fmt::format("{} damaged or missing objects", report.problems.size()));
  return OkStatus();
}

}  // namespace mlpipe::cli
