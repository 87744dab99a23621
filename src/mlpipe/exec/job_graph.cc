#include "mlpipe/exec/job_graph.h"

#include <fmt/format.h>

namespace mlpipe::exec {

Status ValidateJobGraph(const JobGraph& graph) {
  const int n = static_cast<int>(graph.jobs.size());
  std::vector<int> indegree(n, 0);
  std::vector<std::vector<int>> dependents(n);
  for (int i = 0; i < n; ++i) {
    for (int d : graph.jobs[i].deps) {
      if (d < 0 || d >= n) {
        return InvalidArgumentError(
            fmt::format("job '{}' depends on index {} (graph has {} jobs)", graph.jobs[i].name, d, n));
      }
      if (d == i) return InvalidArgumentError(fmt::format("job '{}' depends on itself", graph.jobs[i].name));
      ++indegree[i];
      dependents[d].push_back(i);
    }
  }
  // Kahn's algorithm: every job must be reachable by peeling off ready jobs.
  std::vector<int> queue;
  for (int i = 0; i < n; ++i) {
    if (indegree[i] == 0) queue.push_back(i);
  }
  size_t seen = 0;
  while (seen < queue.size()) {
    int j = queue[seen++];
    for (int k : dependents[j]) {
      if (--indegree[k] == 0) queue.push_back(k);
    }
  }
  if (static_cast<int>(seen) != n) {
    for (int i = 0; i < n; ++i) {
      if (indegree[i] > 0) {
        return InvalidArgumentError(
            fmt::format("job '{}' is part of a dependency cycle", graph.jobs[i].name));
      }
    }
  }
  return OkStatus();
}

}  // namespace mlpipe::exec
