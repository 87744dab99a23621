// A JSON document written as block-style YAML, for files people read and
// kubectl or argo submit: mappings and sequences as indented blocks, every
// string double-quoted with JSON's escapes (a valid YAML double-quoted
// scalar), so that "1", "true" or "null" stay strings when read back. Keys
// come in the JSON object's order (nlohmann::json sorts them).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mlpipe::exporter {

std::string YamlText(const nlohmann::json& doc);

}  // namespace mlpipe::exporter
