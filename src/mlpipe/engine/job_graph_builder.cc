#include "mlpipe/engine/job_graph_builder.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace mlpipe::engine {

std::unordered_map<std::string, int> StepIndex(const spec::PipelineSpec& spec) {
  std::unordered_map<std::string, int> index;
  index.reserve(spec.steps.size());
  for (size_t i = 0; i < spec.steps.size(); ++i) index[spec.steps[i].name] = static_cast<int>(i);
  return index;
}

exec::JobGraph BuildJobGraph(const spec::PipelineSpec& spec) {
  auto index = StepIndex(spec);
  exec::JobGraph graph;
  graph.jobs.reserve(spec.steps.size());
  for (const auto& step : spec.steps) {
    exec::JobSpec job;
    job.name = step.name;
    auto add_dep = [&](const std::string& name) {
      auto it = index.find(name);
      if (it != index.end() && std::find(job.deps.begin(), job.deps.end(), it->second) == job.deps.end()) {
        job.deps.push_back(it->second);
      }
    };
    for (const auto& in : step.inputs) {
      if (in.kind == spec::InputBinding::Kind::kStepOutput) add_dep(std::string(in.step()));
    }
    for (const auto& a : step.after) add_dep(a);
    job.slots = std::max(1, static_cast<int>(std::ceil(step.resources.cpus)));
    job.memory_bytes = step.resources.memory_bytes;
    job.max_attempts = 1 + std::max(0, step.retries);
    job.backoff_ns = step.retry_backoff_ns;
    job.timeout_ns = step.timeout_ns;
    graph.jobs.push_back(std::move(job));
  }
  return graph;
}

}  // namespace mlpipe::engine
