// The time stamps of the prediction log: RFC 3339 in UTC as
// serving/prediction_log.cc writes them ("2026-12-06T22:38:12.123456Z").
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mlpipe::monitor {

// Nanoseconds since the epoch for "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)"
// (fraction of 1 to 9 digits); nullopt for anything else, a non-UTC offset
// included.
std::optional<int64_t> ParseUtcTime(std::string_view text);

}  // namespace mlpipe::monitor
