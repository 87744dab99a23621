// Parses `mlpipe run --json` output: one JSON object per line.
#pragma once

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlpipe::e2e {

inline std::vector<nlohmann::json> ParseEvents(const std::string& out) {
  std::vector<nlohmann::json> events;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) events.push_back(j);
  }
  return events;
}

// The final status event of each step: step name -> event name
// ("succeeded", "failed", "cached", "skipped", "cancelled").
inline std::map<std::string, std::string> FinalStates(const std::vector<nlohmann::json>& events) {
  std::map<std::string, std::string> out;
  for (const auto& e : events) {
    std::string ev = e.value("event", "");
    if (ev == "succeeded" || ev == "failed" || ev == "cached" || ev == "skipped" || ev == "cancelled") {
      out[e.value("step", "")] = ev;
    }
  }
  return out;
}

// Why a step ran (its "explain" event) or was reused (its "cached" event).
inline std::string ReasonOf(const std::vector<nlohmann::json>& events, const std::string& step) {
  std::string reason;
  for (const auto& e : events) {
    std::string ev = e.value("event", "");
    if (e.value("step", "") == step && (ev == "explain" || ev == "cached") && e.contains("reason") &&
        e["reason"].is_string()) {
      reason = e["reason"];
    }
  }
  return reason;
}

}  // namespace mlpipe::e2e
