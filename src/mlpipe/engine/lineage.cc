#include "mlpipe/engine/lineage.h"

#include <map>
#include <set>

#include <fmt/format.h>

namespace mlpipe::engine {
namespace {

using nlohmann::json;

class Walker {
 public:
  Walker(metadata::MetadataStore& db, bool downstream, int depth) : db_(db), down_(downstream), depth_(depth) {}

  StatusOr<json> Artifact(const std::string& ref, const std::string& label, int level) {
    json node = {{"ref", ref}, {"label", label}, {"by", json::array()}};
    auto a = db_.GetArtifact(ref);
    node["type"] = a.ok() ? a->type : "";
    if (depth_ > 0 && level >= depth_) return node;
    if (!visiting_.insert(ref).second) return node;  // defensive: no cycles in lineage
    ASSIGN_OR_RETURN(auto edges, down_ ? db_.Downstream(ref) : db_.Upstream(ref));
    std::set<int64_t> execs;
    for (const auto& e : edges) execs.insert(e.execution_id);
    std::vector<metadata::Execution> chosen;
    for (int64_t id : execs) {
      ASSIGN_OR_RETURN(auto e, db_.GetExecution(id));
      if (e.status == metadata::ExecutionStatus::kCached) continue;
      chosen.push_back(e);
    }
    if (!down_ && chosen.size() > 1) {
      // The same content made more than once: the latest producer tells the story.
      chosen.erase(chosen.begin(), chosen.end() - 1);
    }
    for (const auto& e : chosen) {
      ASSIGN_OR_RETURN(json exec, Execution(e, level + 1));
      node["by"].push_back(exec);
    }
    visiting_.erase(ref);
    return node;
  }

 private:
  StatusOr<json> Execution(const metadata::Execution& e, int level) {
    json node = {{"execution", e.id},
                 {"run", e.run_id},
                 {"step", e.step},
                 {"status", std::string(metadata::ToString(e.status))},
                 {"artifacts", json::array()}};
    ASSIGN_OR_RETURN(auto events, db_.EventsForExecution(e.id));
    auto want = down_ ? metadata::EventKind::kOutput : metadata::EventKind::kInput;
    for (const auto& ev : events) {
      if (ev.kind != want) continue;
      ASSIGN_OR_RETURN(json child, Artifact(ev.ref, ev.version_ref.empty() ? ev.ref : ev.version_ref, level));
      child["as"] = ev.name;
      node["artifacts"].push_back(child);
    }
    return node;
  }

  metadata::MetadataStore& db_;
  bool down_;
  int depth_;
  std::set<std::string> visiting_;
};

void Format(const json& artifact, const std::string& prefix, bool last, bool root, std::string& out) {
  std::string branch = root ? "" : (last ? "└─ " : "├─ ");
  std::string as = artifact.contains("as") ? artifact["as"].get<std::string>() + ": " : "";
  std::string ref = artifact["ref"].get<std::string>();
  out += fmt::format("{}{}{}{}  {}  {}\n", prefix, branch, as, artifact["label"].get<std::string>(),
                     ref.substr(0, std::min<size_t>(ref.size(), 19)), artifact["type"].get<std::string>());
  std::string child_prefix = root ? prefix : prefix + (last ? "   " : "│  ");
  const json& by = artifact["by"];
  for (size_t i = 0; i < by.size(); ++i) {
    const json& e = by[i];
    bool e_last = i + 1 == by.size();
    out += fmt::format("{}{}{}  run {}\n", child_prefix, e_last ? "└─ " : "├─ ", e["step"].get<std::string>(),
                       e["run"].get<int64_t>());
    std::string grand = child_prefix + (e_last ? "   " : "│  ");
    const json& arts = e["artifacts"];
    for (size_t j = 0; j < arts.size(); ++j) Format(arts[j], grand, j + 1 == arts.size(), false, out);
  }
}

}  // namespace

StatusOr<json> BuildLineage(metadata::MetadataStore& db, const std::string& ref, const std::string& label,
                            bool downstream, int depth) {
  Walker walker(db, downstream, depth);
  ASSIGN_OR_RETURN(json tree, walker.Artifact(ref, label, 0));
  tree["direction"] = downstream ? "downstream" : "upstream";
  return tree;
}

std::string FormatLineage(const json& tree) {
  std::string out;
  Format(tree, "", true, true, out);
  return out;
}

}  // namespace mlpipe::engine
