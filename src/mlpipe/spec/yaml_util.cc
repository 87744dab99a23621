#include "mlpipe/spec/yaml_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

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

MapEntry MakeMapEntry(const YamlNode::Pair& pair) {
  MapEntry entry;
  entry.key = pair.key;
  entry.value = pair.value;
  entry.name = pair.key->Scalar();
  entry.key_loc = Diagnostics::At(*entry.key);
  entry.loc =
      entry.value->line() == 0 || entry.value->IsNull() ? entry.key_loc : Diagnostics::At(*entry.value);
  return entry;
}

std::vector<uint32_t> MapEntryIndexes(const YamlNode& map, Diagnostics& diags,
                                      const std::vector<std::string>* allowed, std::string_view where) {
  std::vector<uint32_t> kept;
  if (!map.IsMap()) return kept;
  const auto pairs = map.pairs();
  auto is_allowed = [&](std::string_view name) {
    return allowed == nullptr || std::find(allowed->begin(), allowed->end(), name) != allowed->end();
  };
  // For each allowed scalar key, the first pair with the same key. Small maps
  // (a step's fields) search the kept pairs; big ones (steps:, a join's
  // inputs) sort their keys once.
  constexpr size_t kSortAbove = 16;
  std::vector<uint32_t> first_of;
  if (pairs.size() > kSortAbove) {
    std::vector<std::pair<std::string_view, uint32_t>> keys;
    keys.reserve(pairs.size());
    for (uint32_t i = 0; i < pairs.size(); ++i) {
      if (pairs[i].key->IsScalar() && is_allowed(pairs[i].key->Scalar()))
        keys.emplace_back(pairs[i].key->Scalar(), i);
    }
    std::sort(keys.begin(), keys.end());
    first_of.assign(pairs.size(), 0);
    for (size_t k = 0; k < keys.size(); ++k) {
      first_of[keys[k].second] =
          k > 0 && keys[k - 1].first == keys[k].first ? first_of[keys[k - 1].second] : keys[k].second;
    }
  }
  kept.reserve(pairs.size());
  for (uint32_t i = 0; i < pairs.size(); ++i) {
    const YamlNode& key = *pairs[i].key;
    if (!key.IsScalar()) {
      diags.Error(key, fmt::format("keys in {} must be plain names, got {}", where, NodeKindName(key)));
      continue;
    }
    const std::string_view name = key.Scalar();
    if (!is_allowed(name)) {
      diags.Error(key, fmt::format("unknown key '{}' in {}", name, where),
                  DidYouMean(name, *allowed, fmt::format("allowed keys: {}", Join(*allowed, ", "))));
      continue;
    }
    const YamlNode* first = nullptr;
    if (!first_of.empty()) {
      if (first_of[i] != i) first = pairs[first_of[i]].key;
    } else {
      for (uint32_t k : kept) {
        if (pairs[k].key->Scalar() == name) first = pairs[k].key;
      }
    }
    if (first != nullptr) {
      diags.Error(
          key, fmt::format("duplicate key '{}' in {} (first defined at line {})", name, where, first->line()),
          "YAML keeps only one of them; rename or remove one");
      continue;
    }
    kept.push_back(i);
  }
  return kept;
}

std::vector<MapEntry> MapEntries(const YamlNode& map, Diagnostics& diags,
                                 const std::vector<std::string>* allowed, std::string_view where) {
  std::vector<MapEntry> entries;
  const std::vector<uint32_t> kept = MapEntryIndexes(map, diags, allowed, where);
  entries.reserve(kept.size());
  for (uint32_t i : kept) entries.push_back(MakeMapEntry(map.pairs()[i]));
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

std::optional<double> GetNumberWhere(const MapEntry& entry, Diagnostics& diags, std::string_view what,
                                     bool (*ok)(double), std::string_view rule, std::string_view hint) {
  std::optional<double> v = GetNumber(entry, diags, what);
  if (!v || ok(*v)) return v;
  diags.Error(entry.loc, fmt::format("{} must be {}, got {}", what, rule, entry.value->Scalar()),
              std::string(hint));
  return std::nullopt;
}

std::optional<std::string> GetOneOf(const MapEntry& entry, Diagnostics& diags, std::string_view what,
                                    const std::vector<std::string>& choices) {
  std::optional<std::string> text = GetText(entry, diags, what);
  if (!text || std::find(choices.begin(), choices.end(), *text) != choices.end()) return text;
  std::string alternatives = choices.size() == 1 ? choices[0] : "one of " + choices[0];
  for (size_t i = 1; i < choices.size(); ++i) {
    alternatives += (i + 1 == choices.size() ? " or " : ", ") + choices[i];
  }
  diags.Error(entry.loc, fmt::format("{} must be {}, got '{}'", what, alternatives, *text),
              DidYouMean(*text, choices));
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

std::optional<std::vector<PlacedText>> GetPlacedTextList(const MapEntry& entry, Diagnostics& diags,
                                                         std::string_view what) {
  std::vector<PlacedText> out;
  if (entry.value->IsScalar()) {
    out.push_back({std::string(entry.value->Scalar()), entry.loc});
    return out;
  }
  if (!entry.value->IsSequence()) {
    diags.Error(entry.loc,
                fmt::format("{} must be a list of strings, got {}", what, NodeKindName(*entry.value)));
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
    out.push_back({std::string(item.Scalar()), Diagnostics::At(item)});
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> GetTextList(const MapEntry& entry, Diagnostics& diags,
                                                    std::string_view what) {
  auto placed = GetPlacedTextList(entry, diags, what);
  if (!placed) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(placed->size());
  for (auto& p : *placed) out.push_back(std::move(p.text));
  return out;
}

std::optional<nlohmann::json> GetValue(const YamlNode& node, Pos loc, Diagnostics& diags,
                                       std::string_view what) {
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
      list.push_back(IsPlainScalar(item) ? InferScalarValue(item.Scalar())
                                         : nlohmann::json(std::string(item.Scalar())));
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

bool IsUrlName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace mlpipe::spec::internal
