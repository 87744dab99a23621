// mlpipe artifacts list | show | cat | lineage | gc | verify.
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/engine/lineage.h"
#include "mlpipe/cli/workspace.h"

namespace mlpipe::cli {
namespace {

using nlohmann::json;

std::string StoredPath(const OpenStores& s, const metadata::Artifact& a) {
  auto hex = store::RefToHex(a.ref);
  if (!hex.ok()) return "";
  return a.is_dir ? s.ws.TreePath(*hex) : s.ws.BlobPath(*hex);
}

json Producer(metadata::MetadataStore& db, std::optional<int64_t> execution_id) {
  if (!execution_id) return json();
  auto e = db.GetExecution(*execution_id);
  if (!e.ok()) return json();
  return {{"run", e->run_id}, {"step", e->step}, {"execution", e->id}};
}

}  // namespace

Status CmdArtifactsList(const ListArgs& args, const std::string& name_prefix) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto versions, s.db->ListArtifactVersions(name_prefix));
  // Newest first.
  std::sort(versions.begin(), versions.end(), [](const auto& a, const auto& b) {
    return a.created_ns != b.created_ns ? a.created_ns > b.created_ns : a.version > b.version;
  });
  if (args.limit > 0 && versions.size() > static_cast<size_t>(args.limit)) versions.resize(args.limit);
  json out = json::array();
  std::vector<std::vector<std::string>> rows = {{"NAME", "VERSION", "TYPE", "SIZE", "DIGEST", "PRODUCER", "CREATED"}};
  for (const auto& v : versions) {
    ASSIGN_OR_RETURN(auto a, s.db->GetArtifact(v.ref));
    json producer = Producer(*s.db, v.execution_id);
    out.push_back({{"name", v.name},
                   {"version", v.version},
                   {"label", v.Label()},
                   {"digest", v.ref},
                   {"type", a.type},
                   {"size", a.size},
                   {"is_dir", a.is_dir},
                   {"path", StoredPath(s, a)},
                   {"producer", producer},
                   {"created", FormatTime(v.created_ns)}});
    rows.push_back({v.name, "v" + std::to_string(v.version), a.type, FormatBytes(a.size), v.ref.substr(0, 19),
                    producer.is_null() ? "" : fmt::format("run {} {}", producer["run"].get<int64_t>(),
                                                          producer["step"].get<std::string>()),
                    FormatTime(v.created_ns)});
  }
  if (args.json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << FormatTable(rows);
  }
  return OkStatus();
}

Status CmdArtifactsShow(const std::string& ref, bool as_json) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto resolved, s.db->ResolveArtifact(ref));
  const auto& a = resolved.artifact;
  std::string path = StoredPath(s, a);
  if (a.is_dir && s.objects->Contains(a.ref)) {
    auto materialized = s.objects->Materialize(a.ref);
    if (materialized.ok()) path = *materialized;
  }
  ASSIGN_OR_RETURN(auto names, s.db->VersionsOf(a.ref));
  json versions = json::array();
  for (const auto& v : names) versions.push_back(v.Label());
  ASSIGN_OR_RETURN(auto down, s.db->Downstream(a.ref));
  json consumers = json::array();
  std::set<int64_t> seen;
  for (const auto& e : down) {
    if (seen.insert(e.execution_id).second) {
      consumers.push_back({{"run", e.run_id}, {"step", e.step}, {"execution", e.execution_id}, {"as", e.input_name}});
    }
  }
  json out = {{"digest", a.ref},
              {"type", a.type},
              {"size", a.size},
              {"is_dir", a.is_dir},
              {"path", path},
              {"stored", s.objects->Contains(a.ref)},
              {"versions", versions},
              {"producer", resolved.version ? Producer(*s.db, resolved.version->execution_id) : json()},
              {"consumers", consumers}};
  if (resolved.version) out["name"] = resolved.version->Label();
  if (as_json) {
    std::cout << out.dump(2) << "\n";
    return OkStatus();
  }
  std::cout << fmt::format("{}\n  digest   {}\n  type     {}\n  size     {}\n  path     {}{}\n",
                           resolved.version ? resolved.version->Label() : a.ref, a.ref, a.type, FormatBytes(a.size),
                           path, out["stored"].get<bool>() ? "" : " (not in the store: garbage-collected)");
  if (!out["producer"].is_null()) {
    std::cout << fmt::format("  producer run {} step {}\n", out["producer"]["run"].get<int64_t>(),
                             out["producer"]["step"].get<std::string>());
  }
  std::cout << "  names    " << Join(versions.get<std::vector<std::string>>(), ", ") << "\n";
  for (const auto& c : consumers) {
    std::cout << fmt::format("  read by  run {} step {} (as {})\n", c["run"].get<int64_t>(),
                             c["step"].get<std::string>(), c["as"].get<std::string>());
  }
  return OkStatus();
}

Status CmdArtifactsCat(const std::string& ref) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto resolved, s.db->ResolveArtifact(ref));
  if (resolved.artifact.is_dir) {
    return InvalidArgumentError(ref + " is a folder; `mlpipe artifacts show " + ref + "` gives its path");
  }
  ASSIGN_OR_RETURN(std::string path, s.objects->Materialize(resolved.artifact.ref));
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFoundError("cannot read " + path);
  std::cout << f.rdbuf();
  return OkStatus();
}

Status CmdArtifactsLineage(const std::string& ref, bool downstream, int depth, bool as_json) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto resolved, s.db->ResolveArtifact(ref));
  std::string label = resolved.version ? resolved.version->Label() : resolved.artifact.ref;
  ASSIGN_OR_RETURN(json tree, engine::BuildLineage(*s.db, resolved.artifact.ref, label, downstream, depth));
  if (as_json) {
    std::cout << tree.dump(2) << "\n";
  } else {
    std::cout << engine::FormatLineage(tree);
  }
  return OkStatus();
}

Status CmdArtifactsGc(const GcArgs& args) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto runs, s.db->ListRuns(0));
  for (const auto& r : runs) {
    if (r.status == metadata::RunStatus::kRunning && r.host == HostName() && ProcessAlive(r.pid)) {
      return FailedPreconditionError(
          fmt::format("run {} of pipeline '{}' is running (pid {}); gc waits for no run", r.id, r.pipeline, r.pid));
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
  std::stable_sort(doomed.begin(), doomed.end(), [](const auto& a, const auto& b) { return a.is_dir > b.is_dir; });
  json removed = json::array();
  for (const auto& o : doomed) {
    if (!args.dry_run) RETURN_IF_ERROR(s.objects->Remove(o.ref));
    removed.push_back({{"ref", o.ref}, {"size", o.size}, {"is_dir", o.is_dir}});
    if (!args.json) {
      std::cout << fmt::format("{} {} {} ({})\n", args.dry_run ? "would remove" : "removed",
                               o.is_dir ? "folder" : "file", o.ref, FormatBytes(o.size));
    }
  }
  if (args.json) {
    std::cout << json{{"dry_run", args.dry_run}, {"removed", removed}, {"freed_bytes", freed},
                      {"kept", objects.size() - doomed.size()}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << fmt::format("{} {} object{}, {}; kept {}\n", args.dry_run ? "would free" : "freed", doomed.size(),
                             doomed.size() == 1 ? "" : "s", FormatBytes(freed), objects.size() - doomed.size());
  }
  return OkStatus();
}

Status CmdArtifactsVerify(bool as_json) {
  ASSIGN_OR_RETURN(auto s, OpenAll());
  ASSIGN_OR_RETURN(auto report, s.objects->Verify());
  if (as_json) {
    json problems = json::array();
    for (const auto& p : report.problems) problems.push_back({{"ref", p.ref}, {"path", p.path}, {"detail", p.detail}});
    std::cout << json{{"ok", report.ok()}, {"blobs", report.blobs_checked}, {"folders", report.folders_checked},
                      {"bytes", report.bytes_checked}, {"problems", problems}}
                     .dump(2)
              << "\n";
  } else {
    for (const auto& p : report.problems) std::cout << fmt::format("DAMAGED {} at {}: {}\n", p.ref, p.path, p.detail);
    std::cout << fmt::format("verified {} files and {} folders ({}): {}\n", report.blobs_checked,
                             report.folders_checked, FormatBytes(report.bytes_checked),
                             report.ok() ? "all good" : fmt::format("{} problems", report.problems.size()));
  }
  if (!report.ok()) return DataLossError(fmt::format("{} damaged or missing objects", report.problems.size()));
  return OkStatus();
}

}  // namespace mlpipe::cli
