#include "mlpipe/metadata/records.h"

#include <cstdlib>

#include <fmt/format.h>

namespace mlpipe::metadata {

std::string_view ToString(RunStatus s) {
  switch (s) {
    case RunStatus::kRunning: return "running";
    case RunStatus::kSucceeded: return "succeeded";
    case RunStatus::kFailed: return "failed";
    case RunStatus::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string_view ToString(ExecutionStatus s) {
  switch (s) {
    case ExecutionStatus::kPending: return "pending";
    case ExecutionStatus::kRunning: return "running";
    case ExecutionStatus::kSucceeded: return "succeeded";
    case ExecutionStatus::kFailed: return "failed";
    case ExecutionStatus::kCached: return "cached";
    case ExecutionStatus::kSkipped: return "skipped";
    case ExecutionStatus::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string_view ToString(EventKind k) { return k == EventKind::kInput ? "input" : "output"; }

StatusOr<RunStatus> ParseRunStatus(std::string_view s) {
  for (RunStatus v : {RunStatus::kRunning, RunStatus::kSucceeded, RunStatus::kFailed, RunStatus::kCancelled}) {
    if (ToString(v) == s) return v;
  }
  return InvalidArgumentError(fmt::format("unknown run status '{}'", s));
}

StatusOr<ExecutionStatus> ParseExecutionStatus(std::string_view s) {
  for (ExecutionStatus v : {ExecutionStatus::kPending, ExecutionStatus::kRunning, ExecutionStatus::kSucceeded,
                            ExecutionStatus::kFailed, ExecutionStatus::kCached, ExecutionStatus::kSkipped,
                            ExecutionStatus::kCancelled}) {
    if (ToString(v) == s) return v;
  }
  return InvalidArgumentError(fmt::format("unknown execution status '{}'", s));
}

StatusOr<EventKind> ParseEventKind(std::string_view s) {
  if (s == "input") return EventKind::kInput;
  if (s == "output") return EventKind::kOutput;
  return InvalidArgumentError(fmt::format("unknown event kind '{}'", s));
}

StatusOr<ArtifactText> ParseArtifactText(std::string_view text) {
  ArtifactText out;
  if (text.substr(0, 7) == "sha256:") {
    out.is_ref = true;
    out.name = std::string(text);
    return out;
  }
  size_t colon = text.rfind(':');
  out.name = std::string(text.substr(0, colon));
  if (colon == std::string_view::npos) return out;
  std::string_view ver = text.substr(colon + 1);
  char* end = nullptr;
  std::string ver_digits(ver.substr(ver.empty() ? 0 : 1));
  long long n = std::strtoll(ver_digits.c_str(), &end, 10);
  if (ver.empty() || ver[0] != 'v' || ver_digits.empty() || *end != '\0' || n <= 0) {
    return InvalidArgumentError(fmt::format("bad artifact version '{}' (want NAME:vN, e.g. {}:v1)", text, out.name));
  }
  out.version = n;
  return out;
}

std::string ArtifactVersion::Label() const { return fmt::format("{}:v{}", name, version); }

std::string ModelVersion::Label() const { return fmt::format("{}:v{}", name, version); }

}  // namespace mlpipe::metadata
