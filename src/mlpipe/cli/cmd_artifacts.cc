// mlpipe artifacts list | show | cat | lineage (gc and verify: cmd_artifacts_store.cc).
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/format.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/engine/lineage.h"
#include "mlpipe/engine/object_integrity.h"
#include "mlpipe/metadata/artifact_view.h"

namespace mlpipe::cli {
namespace {

using nlohmann::json;

std::string StoredPath(const OpenStores& s, const metadata::Artifact& a) {
  auto hex = store::RefToHex(a.ref);
  if (!hex.ok()) return "";
  return a.is_dir ? s.ws.TreePath(*hex) : s.ws.BlobPath(*hex);
}

// "run 3 validate", "run 3 validate (failed)".
std::string ProducerText(const json& producer, const std::string& between) {
  std::string status = producer["status"].get<std::string>();
  return fmt::format("run {}{}{}{}", producer["run"].get<int64_t>(), between,
                     producer["step"].get<std::string>(),
                     status == "failed" ? " (failed; kept on failure)" : "");
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
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "VERSION", "TYPE", "SIZE", "DIGEST", "PRODUCER", "CREATED"}};
  for (const auto& v : versions) {
    ASSIGN_OR_RETURN(auto a, s.db->GetArtifact(v.ref));
    json producer = metadata::ProducerJson(*s.db, v.execution_id);
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
    rows.push_back({v.name, fmt::format("v{}", v.version), a.type, FormatBytes(a.size), v.ref.substr(0, 19),
                    producer.is_null() ? "" : ProducerText(producer, " "), FormatTime(v.created_ns)});
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
  const bool stored = s.objects->Contains(a.ref);
  ASSIGN_OR_RETURN(auto names, s.db->VersionsOf(a.ref));
  json versions = json::array();
  for (const auto& v : names) versions.push_back(v.Label());
  ASSIGN_OR_RETURN(json consumers, metadata::ConsumersJson(*s.db, a.ref));
  json out = {
      {"digest", a.ref},
      {"type", a.type},
      {"size", a.size},
      {"is_dir", a.is_dir},
      {"path", path},
      {"stored", stored},
      {"versions", versions},
      {"producer", resolved.version ? metadata::ProducerJson(*s.db, resolved.version->execution_id) : json()},
      {"consumers", consumers}};
  if (resolved.version) out["name"] = resolved.version->Label();
  if (!stored) out["absent"] = engine::WhyAbsent(*s.db, *s.objects, a.ref);
  if (as_json) {
    std::cout << out.dump(2) << "\n";
    return OkStatus();
  }
  std::cout << fmt::format("{}\n  digest   {}\n  type     {}\n  size     {}\n  path     {}{}\n",
                           resolved.version ? resolved.version->Label() : a.ref, a.ref, a.type,
                           FormatBytes(a.size), path,
                           stored ? "" : " (not in the store: " + out["absent"].get<std::string>() + ")");
  if (!out["producer"].is_null()) {
    std::cout << "  producer " << ProducerText(out["producer"], " step ") << "\n";
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
  const std::string& digest = resolved.artifact.ref;
  store::CheckResult check = s.objects->Check(digest);
  if (check.integrity == store::Integrity::kDamaged) {
    (void)engine::RecordQuarantined(*s.db, digest, check.detail, RealClock().WallNanos());
    return DataLossError(fmt::format("{}: {} (quarantined)", ref, check.detail));
  }
  if (!check.ok()) {
    return NotFoundError(
        fmt::format("{} is not in the store: {}", ref, engine::WhyAbsent(*s.db, *s.objects, digest)));
  }
  ASSIGN_OR_RETURN(std::string path, s.objects->Materialize(digest));
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

}  // namespace mlpipe::cli
