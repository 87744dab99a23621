// Routing policy: which variant answers a request. Pure functions, so the
// split and the stickiness are tested without a server.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace mlpipe::serving {

// The variant for a draw u in [0, 1): variant i owns the slice of [0, 1)
// proportional to weights[i] (in order). Zero-weight variants never win.
// weights must be non-empty with a positive sum.
size_t ChooseVariant(const std::vector<double>& weights, double u);

// A draw in [0, 1) from a sticky key: FNV-1a 64 of the bytes, finalised by
// splitmix64. The same key always gives the same draw, in every process and
// across restarts.
double StickyDraw(std::string_view key);

// A uniform draw in [0, 1) from a per-thread generator (seeded once per
// thread from std::random_device). Lock-free.
double RandomDraw();

// The variant for a request: sticky when `sticky_key` is non-empty, random
// otherwise.
inline size_t RouteRequest(const std::vector<double>& weights, std::string_view sticky_key) {
  return ChooseVariant(weights, sticky_key.empty() ? RandomDraw() : StickyDraw(sticky_key));
}

}  // namespace mlpipe::serving
