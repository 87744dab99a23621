// Internal: a small read-only YAML node tree built from libyaml's event
// parser, keeping what the spec readers need: node kinds, scalar text and
// whether it was written plain, 1-based line/column marks, sequence items, and
// mapping key/value pairs in document order (duplicate keys are kept so that
// they can be reported). Not part of the spec library's contract.
//
// Conventions follow the yaml-cpp Node API the spec code was written
// against: a node's mark is where its first token starts (its anchor or tag
// if it has one; a block mapping's first key; a block sequence's first '-'),
// and columns count bytes (a UTF-8 character before a node on its line
// counts once per byte). A plain untagged `~`, `null`, `Null`, `NULL` or
// empty value is a null node; an alias is the very node it refers to.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mlpipe::spec::internal {

class YamlNode {
 public:
  enum class Kind : uint8_t { kNull, kScalar, kSequence, kMap };
  struct Pair {
    const YamlNode* key;
    const YamlNode* value;
  };

  Kind kind() const { return kind_; }
  bool IsNull() const { return kind_ == Kind::kNull; }
  bool IsScalar() const { return kind_ == Kind::kScalar; }
  bool IsSequence() const { return kind_ == Kind::kSequence; }
  bool IsMap() const { return kind_ == Kind::kMap; }
  // A scalar written plain (not quoted, not a | or > block, not tagged `!`).
  bool IsPlainScalar() const { return kind_ == Kind::kScalar && !quoted_; }
  // The text of a scalar (escapes resolved), owned by the document; "" for
  // other kinds.
  std::string_view Scalar() const { return {text_, text_size_}; }
  // 1-based; 0 when the node has no position (the empty document's root).
  int line() const { return line_; }
  int column() const { return column_; }
  // Items of a sequence, or key/value pairs of a map; empty otherwise.
  std::span<const YamlNode* const> items() const {
    if (kind_ != Kind::kSequence) return {};
    return {static_cast<const YamlNode* const*>(children_), count_};
  }
  std::span<const Pair> pairs() const {
    if (kind_ != Kind::kMap) return {};
    return {static_cast<const Pair*>(children_), count_};
  }
  // Number of items or pairs; 0 for scalars and null.
  size_t size() const { return kind_ == Kind::kMap || kind_ == Kind::kSequence ? count_ : 0; }

 private:
  friend class YamlTreeBuilder;
  Kind kind_ = Kind::kNull;
  bool quoted_ = false;
  int line_ = 0;
  int column_ = 0;
  uint32_t text_size_ = 0;
  const char* text_ = "";
  // Sequences: YamlNode* [count_]; maps: Pair[count_]. While building: unset,
  // first_ is the offset into the document's flat arrays.
  const void* children_ = nullptr;
  uint32_t first_ = 0;
  uint32_t count_ = 0;
};

// Owns every node and scalar text of one parsed document (in a few big
// blocks rather than one allocation per node). Movable, not copyable; node
// pointers stay valid for the document's lifetime. Immutable after parsing,
// so concurrent reads are safe.
class YamlDocument {
 public:
  YamlDocument() = default;
  YamlDocument(YamlDocument&&) noexcept = default;
  YamlDocument& operator=(YamlDocument&&) noexcept = default;
  YamlDocument(const YamlDocument&) = delete;
  YamlDocument& operator=(const YamlDocument&) = delete;

  // The first document's root; a null node without position for an empty
  // stream.
  const YamlNode& root() const { return root_ != nullptr ? *root_ : EmptyNode(); }

  // Document-order index of `node`; SIZE_MAX if its storage is released
  // (or it is not in this document).
  size_t IndexOf(const YamlNode* node) const;
  // Frees the storage of the nodes with index in [from, to), as far as it
  // holds no other node: whole blocks only. The loader reads a long `steps:`
  // map step by step and lets go of each step's nodes once read, so the
  // whole tree and the whole spec are never in memory together. The released
  // nodes must not be used again. Does nothing in a document with an alias
  // (`*name` may point back into a released node).
  void ReleaseNodes(size_t from, size_t to);
  // Nodes in the document, released or not: one past the last index.
  size_t NodeCount() const;
  // Nodes whose storage is not released (all of them until ReleaseNodes).
  size_t LiveNodes() const;

 private:
  friend class YamlTreeBuilder;
  static const YamlNode& EmptyNode();
  YamlNode* NewNode();
  const char* CopyText(const char* text, size_t size);

  struct NodeBlock {
    std::unique_ptr<YamlNode[]> nodes;  // null once released
    size_t size;
    size_t first;  // document-order index of nodes[0]
  };
  // Nodes handed out from `block`: all of them but in the last block.
  size_t UsedNodes(const NodeBlock& block) const {
    return &block == &node_blocks_.back() ? nodes_in_last_block_ : block.size;
  }
  // Blocks grow (64, 128, ... nodes; 1, 2, ... KiB of text) so that small
  // documents stay small.
  std::vector<NodeBlock> node_blocks_;
  size_t nodes_in_last_block_ = 0;
  std::vector<std::unique_ptr<char[]>> text_blocks_;
  size_t next_text_block_ = 1024;
  char* text_free_ = nullptr;
  size_t text_left_ = 0;
  std::vector<const YamlNode*> items_;  // children of all sequences, each contiguous
  std::vector<YamlNode::Pair> pairs_;   // pairs of all maps, each contiguous
  const YamlNode* root_ = nullptr;
  bool has_alias_ = false;
};

struct YamlSyntaxError {
  std::string message;  // libyaml's problem, plus its context ("while parsing ... at line L, column C")
  int line = 0;         // 1-based position of the problem, same conventions as YamlNode marks
  int column = 0;
};

// Parses the first document of `text` (later documents are ignored) into
// `doc`. Returns the first syntax error instead, if any (then `doc` is left
// empty). Never throws except std::bad_alloc. Thread-safe.
std::optional<YamlSyntaxError> ParseYaml(std::string_view text, YamlDocument* doc);

}  // namespace mlpipe::spec::internal
