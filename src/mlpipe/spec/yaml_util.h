// Internal helpers for reading YAML nodes into spec structs while collecting
// diagnostics (never throwing). Not part of the spec library's contract.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/spec/pipeline.h"
#include "mlpipe/spec/yaml_tree.h"

namespace mlpipe::spec::internal {

// A 1-based line and column in the file a Diagnostics collects for (line 0:
// no position).
struct Pos {
  int line = 0;
  int column = 0;
};

// Collects diagnostics for one YAML file. Not thread-safe.
class Diagnostics {
 public:
  Diagnostics(std::vector<Diagnostic>* out, InternedString file) : out_(out), file_(file) {}

  const std::string& file() const { return file_.str(); }
  // 1-based location of `node` in this file; line 0 if the node has no mark.
  static Pos At(const YamlNode& node) { return Pos{node.line(), node.column()}; }
  SourceLocation Loc(Pos pos) const { return SourceLocation{file_, pos.line, pos.column}; }
  SourceLocation Loc(const YamlNode& node) const { return Loc(At(node)); }
  void Error(const SourceLocation& loc, std::string message, std::string hint = "");
  void Error(Pos pos, std::string message, std::string hint = "") {
    Error(Loc(pos), std::move(message), std::move(hint));
  }
  void Error(const YamlNode& node, std::string message, std::string hint = "") {
    Error(Loc(node), std::move(message), std::move(hint));
  }
  size_t count() const { return out_->size(); }

 private:
  std::vector<Diagnostic>* out_;
  InternedString file_;
};

// One key of a YAML map.
struct MapEntry {
  // The key's text, owned by the YamlDocument: valid while the key node is
  // (the loader releases a step's nodes once the step is read).
  std::string_view name;
  const YamlNode* key = nullptr;    // never null; owned by the YamlDocument
  const YamlNode* value = nullptr;  // never null
  Pos key_loc;
  Pos loc;  // of the value, or of the key when the value is empty
};

// The entry of one pair of a map (its key must be a scalar).
MapEntry MakeMapEntry(const YamlNode::Pair& pair);

// Indexes into map.pairs() of the entries MapEntries returns, with the same
// reports: for maps of thousands of keys (steps:, a join's inputs), read one
// entry at a time with MakeMapEntry instead of holding them all.
std::vector<uint32_t> MapEntryIndexes(const YamlNode& map, Diagnostics& diags,
                                      const std::vector<std::string>* allowed, std::string_view where);

// The entries of a map in document order, first occurrence of each key only.
// Reports non-scalar keys and duplicate keys (at the second occurrence,
// naming the first's line). With `allowed`, also reports keys not in it, with
// a did-you-mean hint; `where` names the map for messages ("step 'merge'").
std::vector<MapEntry> MapEntries(const YamlNode& map, Diagnostics& diags,
                                 const std::vector<std::string>* allowed, std::string_view where);
const MapEntry* FindEntry(const std::vector<MapEntry>& entries, std::string_view name);

// "did you mean 'x'?" if a close candidate exists, else `fallback`.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates,
                       std::string fallback = "");

// A plain (unquoted) scalar, as opposed to a quoted one.
bool IsPlainScalar(const YamlNode& node);
// "a string", "a list", "a map", "empty": for "must be X, got Y" messages.
std::string NodeKindName(const YamlNode& node);

// Typed readers: nullopt (with a diagnostic "`what` must be ...") on a wrong
// kind. GetText accepts any scalar (numbers and bools as written).
std::optional<std::string> GetText(const MapEntry& entry, Diagnostics& diags, std::string_view what);
std::optional<int64_t> GetInt(const MapEntry& entry, Diagnostics& diags, std::string_view what);
std::optional<double> GetNumber(const MapEntry& entry, Diagnostics& diags, std::string_view what);
std::optional<bool> GetBool(const MapEntry& entry, Diagnostics& diags, std::string_view what);
// A number for which ok(v) holds; otherwise nullopt with "`what` must be
// `rule`, got V" and `hint` (or GetNumber's report for a non-number).
std::optional<double> GetNumberWhere(const MapEntry& entry, Diagnostics& diags, std::string_view what,
                                     bool (*ok)(double), std::string_view rule, std::string_view hint = "");
// One of `choices`; otherwise nullopt with "`what` must be one of A, B or C,
// got 'x'" and a did-you-mean hint.
std::optional<std::string> GetOneOf(const MapEntry& entry, Diagnostics& diags, std::string_view what,
                                    const std::vector<std::string>& choices);
// A scalar or a list of scalars, as strings.
std::optional<std::vector<std::string>> GetTextList(const MapEntry& entry, Diagnostics& diags,
                                                    std::string_view what);
// The same, each with its position (a scalar's is the entry's).
struct PlacedText {
  std::string text;
  Pos pos;
};
std::optional<std::vector<PlacedText>> GetPlacedTextList(const MapEntry& entry, Diagnostics& diags,
                                                         std::string_view what);
// A typed value: plain scalars by InferScalarValue, quoted scalars as
// strings, a sequence of scalars as a list. nullopt for maps, nested lists
// and empty values (with a diagnostic).
std::optional<nlohmann::json> GetValue(const YamlNode& node, Pos loc, Diagnostics& diags,
                                       std::string_view what);

// A name usable for steps, params, inputs and outputs: letters, digits, '_'
// and '-', not starting with '-'.
bool IsValidName(std::string_view name);

// 1-128 letters, digits, '.', '_' and '-': a webhook's name (a URL segment)
// and a deployment's.
bool IsUrlName(std::string_view name);

}  // namespace mlpipe::spec::internal
