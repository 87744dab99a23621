// Test helpers shared by the exec tests (tests only).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mlpipe/exec/job_graph.h"

namespace mlpipe::exec {

inline constexpr int64_t kMs = 1'000'000;
inline constexpr int64_t kSec = 1'000'000'000;

// A job graph from (name, indexes of its dependencies) pairs.
inline JobGraph Graph(std::vector<std::pair<std::string, std::vector<int>>> jobs) {
  JobGraph g;
  for (auto& [name, deps] : jobs) g.jobs.push_back(JobSpec{.name = name, .deps = deps});
  return g;
}

// `n` jobs s0..s(n-1) without dependencies.
inline JobGraph Independent(int n) {
  JobGraph g;
  for (int i = 0; i < n; ++i) g.jobs.push_back(JobSpec{.name = fmt::format("s{}", i)});
  return g;
}

}  // namespace mlpipe::exec
