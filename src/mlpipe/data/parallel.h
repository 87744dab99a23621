// Internal: a minimal fork-join loop for the data library (CSV chunks,
// transform row blocks, column merges). No pool: threads are started per
// call, which costs tens of microseconds, so callers only use it for work of
// milliseconds or more.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace mlpipe::data::internal {

// The number of threads `requested` means: 0 = hardware concurrency (at least 1).
inline size_t ResolveThreads(size_t requested) {
  if (requested > 0) return requested;
  return std::max<size_t>(1, std::thread::hardware_concurrency());
}

// Calls f(i) for every i in [0, n), on up to `threads` threads (the caller's
// included), handing out indexes in increasing order. Returns when all calls
// have returned. f must not throw. If a thread cannot be started, the others
// do its share.
template <typename F>
void ParallelFor(size_t n, size_t threads, F&& f) {
  threads = std::min(threads, n);
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) f(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) f(i);
  };
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 0; t + 1 < threads; ++t) {
    try {
      pool.emplace_back(work);
    } catch (...) {
      break;  // out of threads: the ones running (and this one) share the work
    }
  }
  work();
  for (auto& t : pool) t.join();
}

}  // namespace mlpipe::data::internal
