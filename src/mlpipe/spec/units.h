// Durations and sizes as written in a pipeline spec.
//
// Durations: "500ms", "30s", "5m", "2h", "1d", a decimal number before the
// unit ("1.5s"), or a bare number meaning seconds ("30"). Sizes: bare bytes
// ("1048576"), SI units K/M/G/T (or KB/MB/GB/TB, powers of 1000) and binary
// units KiB/MiB/GiB/TiB (or Ki/Mi/Gi/Ti, powers of 1024); a decimal number is
// allowed ("1.5GiB"). Units are case-sensitive except that "k" equals "K".
// Both are pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mlpipe/base/status.h"

namespace mlpipe::spec {

// Returns nanoseconds, or InvalidArgument ("bad duration '5 minutes'") for
// anything else, including negative values.
StatusOr<int64_t> ParseDuration(std::string_view text);

// The text of `ns` (>= 0) in the largest unit that holds it whole: "30m",
// "10s", "1500ms", "1d", "0s". ParseDuration reads it back as `ns`.
std::string DurationText(int64_t ns);

// Returns bytes, or InvalidArgument ("bad size '4 gigs'").
StatusOr<int64_t> ParseSize(std::string_view text);

}  // namespace mlpipe::spec
