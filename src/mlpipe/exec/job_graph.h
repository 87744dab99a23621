// JobGraph: the plain data the executor runs. It knows nothing about YAML,
// artifacts or caching: a job is a name, the indices of the jobs it waits for,
// and what it costs to run (slots, memory, attempts, timeout).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::exec {

struct JobSpec {
  // The step name shown to people ("train").
  std::string name = {};
  // Indices into JobGraph::jobs of the jobs that must succeed (or be cached)
  // before this one may start.
  std::vector<int> deps = {};
  // Share of the parallelism budget this job takes while running. Clamped to
  // [1, parallelism] by the executor, so a job wider than the machine runs alone.
  int slots = 1;
  // Share of the memory budget (0 = none). A job larger than the whole budget is
  // clamped to it, so it runs alone rather than never.
  int64_t memory_bytes = 0;
  // Total attempts allowed (1 = no retry). Values < 1 are treated as 1.
  int max_attempts = 1;
  // Delay before retry k (k = 1, 2, ...) is backoff_ns * 2^(k-1), on the Clock.
  int64_t backoff_ns = 1'000'000'000;
  // Per-attempt timeout (0 = none). Used when the delegate's Command has none.
  int64_t timeout_ns = 0;
};

struct JobGraph {
  std::vector<JobSpec> jobs = {};
};

// OK if every dep index is in range, no job depends on itself, and the graph is
// acyclic; otherwise InvalidArgument naming the offending job.
Status ValidateJobGraph(const JobGraph& graph);

}  // namespace mlpipe::exec
