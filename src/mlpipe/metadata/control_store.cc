#include "mlpipe/metadata/control_store.h"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace mlpipe::metadata {
namespace {

constexpr std::array<std::pair<FireState, std::string_view>, 7> kControlFireStates = {{
    {FireState::kQueued, "queued"},
    {FireState::kCoalesced, "coalesced"},
    {FireState::kStarted, "started"},
    {FireState::kFinished, "finished"},
    {FireState::kSkipped, "skipped"},
    {FireState::kInterrupted, "interrupted"},
    {FireState::kCancelled, "cancelled"},
}};

}  // namespace

std::string_view ToString(FireState state) {
  for (const auto& [s, name] : kControlFireStates) {
    if (s == state) return name;
  }
  return "queued";
}

StatusOr<FireState> ParseFireState(std::string_view text) {
  for (const auto& [s, name] : kControlFireStates) {
    if (name == text) return s;
  }
  return InvalidArgumentError(fmt::format("unknown fire state '{}'", text));
}

}  // namespace mlpipe::metadata
