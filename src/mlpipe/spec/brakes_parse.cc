// Reading the brakes on a pipeline's triggered runs: concurrency:,
// cooldown: and max_runs_per_day: (top-level keys beside triggers:).
#include <fmt/format.h>

#include "mlpipe/spec/load_state.h"
#include "mlpipe/spec/units.h"

namespace mlpipe::spec::internal {

void ParseBrake(const MapEntry& entry, LoadState& st, PipelineSpec* spec) {
  Diagnostics& diags = st.diags;
  if (entry.name == "cooldown" || entry.name == "max_duration") {
    const bool cooldown = entry.name == "cooldown";
    auto text = GetText(entry, diags, entry.name);
    if (!text) return;
    auto ns = ParseDuration(*text);
    if (!ns.ok() || (!cooldown && *ns <= 0)) {
      diags.Error(entry.loc,
                  fmt::format("{}: {}", entry.name,
                              ns.ok() ? std::string("must be more than 0") : ns.status().message()),
                  cooldown ? "write a duration like 30m, 1h or 1d: the least time between triggered runs"
                           : "write a duration like 45m or 2h: a run taking longer records an alert");
      return;
    }
    (cooldown ? spec->cooldown_ns : spec->max_duration_ns) = *ns;
    return;
  }
  const bool concurrency = entry.name == "concurrency";
  auto n = GetInt(entry, diags, entry.name);
  if (!n) return;
  const int64_t least = concurrency ? 1 : 0;
  if (*n < least || *n > 1'000'000) {
    diags.Error(entry.loc,
                *n < least ? fmt::format("{}: must be {} or more, got {}", entry.name, least, *n)
                           : fmt::format("{}: must be at most 1000000, got {}", entry.name, *n),
                concurrency ? "the runs of this pipeline at once (1: one after another)"
                            : "the most triggered runs a day; 0 (or leaving it out) sets no cap");
    return;
  }
  if (concurrency) {
    spec->concurrency = static_cast<int>(*n);
  } else {
    spec->max_runs_per_day = *n;
  }
}

}  // namespace mlpipe::spec::internal
