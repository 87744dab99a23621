#include "mlpipe/export/yaml_text.h"

#include <fmt/format.h>

#include <cctype>
#include <cstring>

namespace mlpipe::exporter {
namespace {

bool YamlIsBlock(const nlohmann::json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

// A scalar, or an empty mapping or sequence, as flow text.
std::string YamlScalar(const nlohmann::json& v) {
  if (v.is_object()) return "{}";
  if (v.is_array()) return "[]";
  return v.dump();  // strings with JSON's escapes; numbers, true, false, null as YAML reads them
}

// A key as written: plain when it is a name ("apiVersion", "mlpipe.dev/step.train"), else quoted.
std::string YamlKey(const std::string& key) {
  bool plain = !key.empty() && std::isalpha(static_cast<unsigned char>(key[0]));
  for (char c : key) plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_.-/", c));
  return plain ? key : nlohmann::json(key).dump();
}

void YamlWrite(const nlohmann::json& v, int indent, std::string* out);

// The value of a key or a sequence item after "key:" or "-".
void YamlWriteValue(const nlohmann::json& v, int indent, bool in_sequence, std::string* out) {
  if (!YamlIsBlock(v)) {
    *out += fmt::format(" {}\n", YamlScalar(v));
    return;
  }
  if (in_sequence && v.is_object()) {
    // "- key: value" with the mapping's other keys under the first.
    *out += " ";
    std::string nested;
    YamlWrite(v, indent + 2, &nested);
    out->append(nested, indent + 2, std::string::npos);
    return;
  }
  *out += "\n";
  // A sequence under a key is written at the key's own indent, as kubectl does.
  YamlWrite(v, v.is_array() && !in_sequence ? indent : indent + 2, out);
}

void YamlWrite(const nlohmann::json& v, int indent, std::string* out) {
  const std::string pad(indent, ' ');
  if (v.is_object()) {
    for (const auto& [key, value] : v.items()) {
      *out += pad + YamlKey(key) + ":";
      YamlWriteValue(value, indent, false, out);
    }
  } else if (v.is_array()) {
    for (const auto& item : v) {
      *out += pad + "-";
      YamlWriteValue(item, indent, true, out);
    }
  } else {
    *out += pad + YamlScalar(v) + "\n";
  }
}

}  // namespace

std::string YamlText(const nlohmann::json& doc) {
  std::string out;
  YamlWrite(doc, 0, &out);
  return out;
}

}  // namespace mlpipe::exporter
