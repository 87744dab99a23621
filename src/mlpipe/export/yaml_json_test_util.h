// Tests read exported YAML back with yaml-cpp, an independent parser: a
// node as JSON, scalars as YAML's core schema reads them (a quoted scalar is
// always a string; plain ones may be numbers, booleans or null).
#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <string>

namespace mlpipe::exporter::testing {

inline nlohmann::json YamlToJson(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& kv : n) out[kv.first.as<std::string>()] = YamlToJson(kv.second);
    return out;
  }
  if (n.IsSequence()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : n) out.push_back(YamlToJson(item));
    return out;
  }
  if (n.IsNull()) return nullptr;
  if (n.Tag() == "!") return n.as<std::string>();  // quoted
  const std::string s = n.as<std::string>();
  if (s == "true" || s == "false") return s == "true";
  try {
    size_t used = 0;
    const long long i = std::stoll(s, &used);
    if (used == s.size()) return i;
    const double d = std::stod(s, &used);
    if (used == s.size()) return d;
  } catch (...) {
  }
  return s;
}

}  // namespace mlpipe::exporter::testing
