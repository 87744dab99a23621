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
  std::string_view Scalar() const {
    return kind_ == Kind::kScalar && size_ > 0 ? std::string_view(static_cast<const char*>(data_), size_)
                                               : std::string_view();
  }
  // 1-based; 0 when the node has no position (the empty document's root).
  int line() const { return line_; }
  int column() const { return column_; }
  // Items of a sequence, or key/value pairs of a map; empty otherwise.
  std::span<const YamlNode* const> items() const {
    if (kind_ != Kind::kSequence) return {};
    return {static_cast<const YamlNode* const*>(data_), size_};
  }
  std::span<const Pair> pairs() const {
    if (kind_ != Kind::kMap) return {};
    return {static_cast<const Pair*>(data_), size_};
  }
  // Number of items or pairs; 0 for scalars and null.
  size_t size() const { return kind_ == Kind::kMap || kind_ == Kind::kSequence ? size_ : 0; }

 private:
  friend class YamlTreeBuilder;
  Kind kind_ = Kind::kNull;
  bool quoted_ = false;
  int line_ = 0;
  int column_ = 0;
  // Scalars: size_ bytes of text at data_; sequences: size_ YamlNode* at
  // data_; maps: size_ Pairs at data_. While building, data_ is unset and
  // first_ is the offset into the node's block: its text, items or pairs.
  // (32 bytes a node: a 10,000-step spec has about 100,000.)
  uint32_t size_ = 0;
  uint32_t first_ = 0;
  const void* data_ = nullptr;
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
  // holds no other node: whole blocks only, each with its nodes' scalar text
  // and the items and pairs of its collections. The loader reads a long
  // `steps:` map step by step and lets go of each step's nodes once read, so
  // the whole tree and the whole spec are never in memory together. The
  // released nodes, their text and their children lists must not be used
  // again (nodes outside the range stay valid). Does nothing in a document
  // with an alias (`*name` may point back into a released node).
  void ReleaseNodes(size_t from, size_t to);
  // Nodes in the document, released or not: one past the last index.
  size_t NodeCount() const;
  // Nodes whose storage is not released (all of them until ReleaseNodes).
  size_t LiveNodes() const;
  // Bytes held by the blocks: nodes (of the live ones), scalar text, items
  // and pairs.
  size_t LiveBytes() const;

 private:
  friend class YamlTreeBuilder;
  static const YamlNode& EmptyNode();
  YamlNode* NewNode();

  // A run of nodes in document order with everything they own, so that
  // releasing it frees all of that: a node's scalar text lives in its own
  // block, and so do the children lists of a collection (the children
  // themselves may sit in later blocks). While building, nodes hold offsets
  // into these vectors; YamlTreeBuilder::Finish turns them into pointers.
  struct NodeBlock {
    std::unique_ptr<YamlNode[]> nodes;  // null once released
    size_t size;
    size_t first;  // document-order index of nodes[0]
    std::vector<char> text;
    std::vector<const YamlNode*> items;  // children of its sequences, each contiguous
    std::vector<YamlNode::Pair> pairs;   // pairs of its maps, each contiguous
  };
  // Nodes handed out from `block`: all of them but in the last block.
  size_t UsedNodes(const NodeBlock& block) const {
    return &block == &node_blocks_.back() ? nodes_in_last_block_ : block.size;
  }
  // Blocks grow (64, 128, ... nodes) so that small documents stay small.
  std::vector<NodeBlock> node_blocks_;
  size_t nodes_in_last_block_ = 0;
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
