#include "mlpipe/metadata/model_source.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "mlpipe/metadata/run_metrics.h"

namespace mlpipe::metadata {
namespace {

// The producing execution of `resolved`, if the store knows one.
StatusOr<std::optional<int64_t>> ProducerOf(MetadataStore& db, const ResolvedArtifact& resolved) {
  if (resolved.version && resolved.version->execution_id) return resolved.version->execution_id;
  ASSIGN_OR_RETURN(auto versions, db.VersionsOf(resolved.artifact.ref));
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->execution_id) return it->execution_id;
  }
  ASSIGN_OR_RETURN(auto edges, db.Upstream(resolved.artifact.ref));
  if (!edges.empty()) return std::optional<int64_t>(edges.back().execution_id);
  return std::optional<int64_t>();
}

}  // namespace

StatusOr<std::string> RunMetricsSnapshot(MetadataStore& db, int64_t run_id) {
  ASSIGN_OR_RETURN(std::vector<RunMetric> metrics, RunMetrics(db, run_id));
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, value] : FinalMetricValues(metrics)) out[key] = value;
  return out.dump();
}

StatusOr<ModelVersion> DescribeModelSource(MetadataStore& db, std::string_view name,
                                           std::string_view artifact_text, int64_t created_ns) {
  ASSIGN_OR_RETURN(ResolvedArtifact resolved, db.ResolveArtifact(artifact_text));
  if (!resolved.artifact.is_dir) {
    return InvalidArgumentError(
        fmt::format("{} is a file; a model version must be a model package folder (an output of type model)",
                    artifact_text));
  }
  ModelVersion v;
  v.name = std::string(name);
  v.ref = resolved.artifact.ref;
  v.source = resolved.version ? resolved.version->Label() : resolved.artifact.ref;
  v.created_ns = created_ns;
  ASSIGN_OR_RETURN(std::optional<int64_t> exec_id, ProducerOf(db, resolved));
  // A cached execution reused another's outputs: the original did the work.
  for (int hops = 0; exec_id && hops < 100; ++hops) {
    auto exec = db.GetExecution(*exec_id);
    if (!exec.ok()) {
      if (exec.status().code() == StatusCode::kNotFound)
        exec_id.reset();
      else
        return exec.status();
      break;
    }
    if (exec->status != ExecutionStatus::kCached || !exec->reused_from) {
      v.execution_id = exec->id;
      v.run_id = exec->run_id;
      break;
    }
    exec_id = exec->reused_from;
  }
  if (v.run_id) {
    ASSIGN_OR_RETURN(v.metrics_json, RunMetricsSnapshot(db, *v.run_id));
  }
  return v;
}

}  // namespace mlpipe::metadata
