#include "mlpipe/spec/yaml_util.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/params.h"

namespace mlpipe::spec::internal {

void Diagnostics::Error(const SourceLocation& loc, std::string message, std::string hint) {
  out_->push_back(Diagnostic{loc, std::move(message), std::move(hint)});
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates,
                       std::string fallback) {
  std::string guess = ClosestMatch(word, candidates);
  if (guess.empty()) return fallback;
  return fmt::format("did you mean '{}'?", guess);
}

std::vector<MapEntry> MapEntries(const YamlNode& map, Diagnostics& diags,
                                 const std::vector<std::string>* allowed, std::string_view where) {
  std::vector<MapEntry> entries;
  if (!map.IsMap()) return entries;
  entries.reserve(map.size());
  // Small maps (a step's fields) search `entries`; big ones (steps:) hash.
  constexpr size_t kHashAbove = 16;
  std::unordered_map<std::string_view, size_t> seen;
  if (map.size() > kHashAbove) seen.reserve(map.size());
  for (const YamlNode::Pair& pair : map.pairs()) {
    MapEntry entry;
    entry.key = pair.key;
    entry.value = pair.value;
    entry.key_loc = Diagnostics::At(*entry.key);
    entry.loc = entry.value->line() == 0 || entry.value->IsNull() ? entry.key_loc : Diagnostics::At(*entry.value);
    if (!entry.key->IsScalar()) {
      diags.Error(entry.key_loc, fmt::format("keys in {} must be plain names, got {}", where,
                                             NodeKindName(*entry.key)));
      continue;
    }
    entry.name = entry.key->Scalar();
    const MapEntry* first = nullptr;
    if (map.size() > kHashAbove) {
      // Keys point into the document's nodes, which outlive this call.
      auto it = seen.find(entry.key->Scalar());
      if (it != seen.end()) first = &entries[it->second];
    } else {
      first = FindEntry(entries, entry.name);
    }
    if (first != nullptr) {
      diags.Error(entry.key_loc,
                  fmt::format("duplicate key '{}' in {} (first defined at line {})", entry.name, where,
                              first->key_loc.line),
                  "YAML keeps only one of them; rename or remove one");
      continue;
    }
    if (allowed != nullptr &&
        std::find(allowed->begin(), allowed->end(), entry.name) == allowed->end()) {
      diags.Error(entry.key_loc, fmt::format("unknown key '{}' in {}", entry.name, where),
                  DidYouMean(entry.name, *allowed,
                             fmt::format("allowed keys: {}", Join(*allowed, ", "))));
      continue;
    }
    if (map.size() > kHashAbove) seen.emplace(entry.key->Scalar(), entries.size());
    entries.push_back(std::move(entry));
  }
  return entries;
}

const MapEntry* FindEntry(const std::vector<MapEntry>& entries, std::string_view name) {
  for (const auto& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

bool IsPlainScalar(const YamlNode& node) { return node.IsPlainScalar(); }

std::string NodeKindName(const YamlNode& node) {
  if (node.IsNull()) return "nothing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a map";
  if (IsPlainScalar(node)) {
    nlohmann::json v = InferScalarValue(node.Scalar());
    if (v.is_number_integer()) return fmt::format("the integer {}", node.Scalar());
    if (v.is_number_float()) return fmt::format("the number {}", node.Scalar());
    if (v.is_boolean()) return fmt::format("the bool {}", node.Scalar());
  }
  return fmt::format("'{}'", node.Scalar());
}

std::optional<std::string> GetText(const MapEntry& entry, Diagnostics& diags, std::string_view what) {
  if (!entry.value->IsScalar()) {
    diags.Error(entry.loc, fmt::format("{} must be a string, got {}", what, NodeKindName(*entry.value)));
    return std::nullopt;
  }
  return std::string(entry.value->Scalar());
}

std::optional<int64_t> GetInt(const MapEntry& entry, Diagnostics& diags, std::string_view what) {
  if (IsPlainScalar(*entry.value)) {
    nlohmann::json v = InferScalarValue(entry.value->Scalar());
    if (v.is_number_integer()) return v.get<int64_t>();
  }
  diags.Error(entry.loc, fmt::format("{} must be an integer, got {}", what, NodeKindName(*entry.value)));
  return std::nullopt;
}

std::optional<double> GetNumber(const MapEntry& entry, Diagnostics& diags, std::string_view what) {
  if (IsPlainScalar(*entry.value)) {
    nlohmann::json v = InferScalarValue(entry.value->Scalar());
    if (v.is_number()) return v.get<double>();
  }
  diags.Error(entry.loc, fmt::format("{} must be a number, got {}", what, NodeKindName(*entry.value)));
  return std::nullopt;
}

std::optional<bool> GetBool(const MapEntry& entry, Diagnostics& diags, std::string_view what) {
  if (IsPlainScalar(*entry.value)) {
    nlohmann::json v = InferScalarValue(entry.value->Scalar());
    if (v.is_boolean()) return v.get<bool>();
  }
  diags.Error(entry.loc, fmt::format("{} must be true or false, got {}", what, NodeKindName(*entry.value)));
  return std::nullopt;
}

std::optional<std::vector<std::string>> GetTextList(const MapEntry& entry, Diagnostics& diags,
                                                    std::string_view what) {
  std::vector<std::string> out;
  if (entry.value->IsScalar()) {
    out.emplace_back(entry.value->Scalar());
    return out;
  }
  if (!entry.value->IsSequence()) {
    diags.Error(entry.loc, fmt::format("{} must be a list of strings, got {}", what, NodeKindName(*entry.value)));
    return std::nullopt;
  }
  bool ok = true;
  for (const YamlNode* item_ptr : entry.value->items()) {
    const YamlNode& item = *item_ptr;
    if (!item.IsScalar()) {
      diags.Error(item, fmt::format("items of {} must be strings, got {}", what, NodeKindName(item)));
      ok = false;
      continue;
    }
    out.emplace_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<nlohmann::json> GetValue(const YamlNode& node, Pos loc,
                                       Diagnostics& diags, std::string_view what) {
  if (node.IsScalar()) {
    if (IsPlainScalar(node)) return InferScalarValue(node.Scalar());
    return nlohmann::json(std::string(node.Scalar()));
  }
  if (node.IsSequence()) {
    nlohmann::json list = nlohmann::json::array();
    for (const YamlNode* item_ptr : node.items()) {
      const YamlNode& item = *item_ptr;
      if (!item.IsScalar()) {
        diags.Error(item, fmt::format("items of {} must be plain values, got {}", what, NodeKindName(item)));
        return std::nullopt;
      }
      list.push_back(IsPlainScalar(item) ? InferScalarValue(item.Scalar()) : nlohmann::json(std::string(item.Scalar())));
    }
    return list;
  }
  diags.Error(loc, fmt::format("{} must be a value (number, string, bool or list), got {}", what,
                               NodeKindName(node)));
  return std::nullopt;
}

bool IsValidName(std::string_view name) {
  if (name.empty() || name[0] == '-') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace mlpipe::spec::internal
