#include "mlpipe/spec/yaml_tree.h"

#include <fmt/format.h>
#include <yaml.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <new>
#include <unordered_map>
#include <utility>

#include "mlpipe/base/yaml_nesting.h"

namespace mlpipe::spec::internal {
// Named, not anonymous: YamlTreeBuilder (a friend declared in the header) holds a Positions.
namespace yaml_tree_detail {

// Turns libyaml marks (0-based line and column counted in characters, with
// '\r', NEL, LS and PS also breaking lines) into the 1-based line and
// byte-counted column that yaml-cpp reported, where only '\n' breaks lines.
// Keeps a cursor so that marks in document order cost O(text) in total.
class Positions {
 public:
  explicit Positions(std::string_view text) : text_(text) {
    bom_ = text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    for (size_t i = bom_; i < text.size() && simple_; ++i) {
      unsigned char c = static_cast<unsigned char>(text[i]);
      if (c >= 0x80 || (c == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) simple_ = false;
    }
    Reset();
  }

  std::pair<int, int> FromMark(const yaml_mark_t& mark) {
    if (simple_) return {static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1};
    SeekChar(mark.index);
    return {line_, static_cast<int>(byte_ - line_start_) + 1};
  }

  // Byte offset of `mark` in the text.
  size_t ByteOf(const yaml_mark_t& mark) {
    if (simple_) return static_cast<size_t>(bom_) + mark.index;
    SeekChar(mark.index);
    return byte_;
  }

  std::pair<int, int> FromByte(size_t offset) {
    offset = std::min(offset, text_.size());
    if (offset < byte_) Reset();
    while (byte_ < offset) Step();
    return {line_, static_cast<int>(byte_ - line_start_) + 1};
  }

  // Where the token after `offset` starts (skipping blanks, line breaks and
  // comments), or the end of the text.
  size_t NextTokenByte(size_t offset) const {
    size_t i = offset;
    while (i < text_.size()) {
      char c = text_[i];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++i;
      } else if (c == '#') {
        while (i < text_.size() && text_[i] != '\n') ++i;
      } else {
        break;
      }
    }
    return i;
  }

 private:
  void Reset() {
    char_index_ = 0;
    byte_ = static_cast<size_t>(bom_);
    line_ = 1;
    line_start_ = byte_;
  }
  // libyaml's index counts characters (a UTF-8 sequence is one) after the BOM.
  void SeekChar(size_t index) {
    if (index < char_index_) Reset();
    while (char_index_ < index && byte_ < text_.size()) Step();
  }
  void Step() {
    unsigned char c = static_cast<unsigned char>(text_[byte_]);
    size_t width = c < 0x80             ? 1
                   : (c & 0xE0) == 0xC0 ? 2
                   : (c & 0xF0) == 0xE0 ? 3
                   : (c & 0xF8) == 0xF0 ? 4
                                        : 1;
    byte_ = std::min(byte_ + width, text_.size());
    ++char_index_;
    if (c == '\n') {
      ++line_;
      line_start_ = byte_;
    }
  }

  std::string_view text_;
  int bom_ = 0;
  bool simple_ = true;
  size_t char_index_ = 0;
  size_t byte_ = 0;
  int line_ = 1;
  size_t line_start_ = 0;
};

bool IsNullString(const char* s, size_t n) {
  std::string_view v(s, n);
  return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

std::string Text(const yaml_char_t* s) {
  return s == nullptr ? std::string() : reinterpret_cast<const char*>(s);
}

struct ParserGuard {
  yaml_parser_t parser;
  bool ok = false;
  ParserGuard() { ok = yaml_parser_initialize(&parser) != 0; }
  ~ParserGuard() {
    if (ok) yaml_parser_delete(&parser);
  }
};

struct EventGuard {
  yaml_event_t event;
  bool live = false;
  ~EventGuard() { Release(); }
  void Release() {
    if (live) yaml_event_delete(&event);
    live = false;
  }
};

constexpr size_t kFirstNodeBlock = 64;
constexpr size_t kMaxNodeBlock = 4096;

}  // namespace yaml_tree_detail
using namespace yaml_tree_detail;

static_assert(sizeof(YamlNode) == 32, "a 10,000-step spec has about 100,000 nodes");

const YamlNode& YamlDocument::EmptyNode() {
  static const YamlNode kEmpty;
  return kEmpty;
}

YamlNode* YamlDocument::NewNode() {
  if (node_blocks_.empty() || nodes_in_last_block_ == node_blocks_.back().size) {
    size_t size =
        node_blocks_.empty() ? kFirstNodeBlock : std::min(2 * node_blocks_.back().size, kMaxNodeBlock);
    size_t first = node_blocks_.empty() ? 0 : node_blocks_.back().first + node_blocks_.back().size;
    NodeBlock& block = node_blocks_.emplace_back();
    block.nodes = std::make_unique<YamlNode[]>(size);
    block.size = size;
    block.first = first;
    nodes_in_last_block_ = 0;
  }
  return &node_blocks_.back().nodes[nodes_in_last_block_++];
}

size_t YamlDocument::IndexOf(const YamlNode* node) const {
  std::less<const YamlNode*> before;
  for (const NodeBlock& block : node_blocks_) {
    const YamlNode* begin = block.nodes.get();
    if (begin != nullptr && !before(node, begin) && before(node, begin + block.size)) {
      return block.first + static_cast<size_t>(node - begin);
    }
  }
  return SIZE_MAX;
}

size_t YamlDocument::NodeCount() const {
  return node_blocks_.empty() ? 0 : node_blocks_.back().first + nodes_in_last_block_;
}

size_t YamlDocument::LiveNodes() const {
  size_t n = 0;
  for (const NodeBlock& block : node_blocks_) n += block.nodes != nullptr ? UsedNodes(block) : 0;
  return n;
}

size_t YamlDocument::LiveBytes() const {
  size_t n = 0;
  for (const NodeBlock& block : node_blocks_) {
    // A released block's text and children count too, should they be left.
    n += (block.nodes != nullptr ? block.size * sizeof(YamlNode) : 0) + block.text.capacity() +
         block.items.capacity() * sizeof(const YamlNode*) + block.pairs.capacity() * sizeof(YamlNode::Pair);
  }
  return n;
}

void YamlDocument::ReleaseNodes(size_t from, size_t to) {
  if (has_alias_ || to == SIZE_MAX || from >= to) return;
  for (NodeBlock& block : node_blocks_) {
    // The last block counts only its used nodes: no node is added after parsing.
    if (block.nodes != nullptr && block.first >= from && block.first + UsedNodes(block) <= to) {
      block.nodes.reset();
      std::vector<char>().swap(block.text);
      std::vector<const YamlNode*>().swap(block.items);
      std::vector<YamlNode::Pair>().swap(block.pairs);
    }
  }
}

// Builds a YamlDocument from libyaml events. One per parse.
class YamlTreeBuilder {
 public:
  YamlTreeBuilder(std::string_view text, YamlDocument* doc) : text_(text), positions_(text), doc_(doc) {}

  std::optional<YamlSyntaxError> Run() {
    ParserGuard guard;
    if (!guard.ok) throw std::bad_alloc();
    static const unsigned char kEmpty[1] = {0};
    const unsigned char* input =
        text_.empty() ? kEmpty : reinterpret_cast<const unsigned char*>(text_.data());
    yaml_parser_set_input_string(&guard.parser, input, text_.size());
    EventGuard ev;
    while (true) {
      ev.Release();
      if (!yaml_parser_parse(&guard.parser, &ev.event)) return Fail(ParserError(guard.parser));
      ev.live = true;
      const yaml_event_t& e = ev.event;
      switch (e.type) {
        case YAML_STREAM_END_EVENT:
        case YAML_DOCUMENT_END_EVENT:
          Finish();
          return std::nullopt;
        case YAML_SCALAR_EVENT:
          Attach(Scalar(e));
          break;
        case YAML_ALIAS_EVENT: {
          doc_->has_alias_ = true;
          auto it = anchors_.find(Text(e.data.alias.anchor));
          if (it == anchors_.end()) {
            auto [line, column] = positions_.FromMark(e.start_mark);
            return Fail(YamlSyntaxError{fmt::format("found undefined alias '{}'", Text(e.data.alias.anchor)),
                                        line, column});
          }
          Attach(it->second);
          break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
          bool map = e.type == YAML_MAPPING_START_EVENT;
          if (open_.size() >= static_cast<size_t>(kMaxYamlNesting)) {  // what the pre-scan estimated short
            auto [line, column] = positions_.FromMark(e.start_mark);
            return Fail(YamlSyntaxError{
                fmt::format("nested more than {} levels deep (collections inside collections); mlpipe's YAML "
                            "files need far fewer, and a deeper file is refused",
                            kMaxYamlNesting),
                line, column});
          }
          YamlNode* node = NewNode(e.start_mark);
          node->kind_ = map ? YamlNode::Kind::kMap : YamlNode::Kind::kSequence;
          RegisterAnchor(map ? e.data.mapping_start.anchor : e.data.sequence_start.anchor, node);
          open_.push_back({node, doc_->node_blocks_.size() - 1, scratch_.size()});
          break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          Attach(Close());
          break;
        default:
          break;  // stream/document start
      }
    }
  }

 private:
  struct Open {
    YamlNode* node;
    size_t block;  // index of the node's block
    size_t first;  // index of its first child in scratch_
  };

  YamlNode* NewNode(const yaml_mark_t& mark) {
    YamlNode* node = doc_->NewNode();
    auto [line, column] = positions_.FromMark(mark);
    node->line_ = line;
    node->column_ = column;
    return node;
  }

  YamlNode* Scalar(const yaml_event_t& e) {
    YamlNode* node = NewNode(e.start_mark);
    const char* value = reinterpret_cast<const char*>(e.data.scalar.value);
    const char* tag = reinterpret_cast<const char*>(e.data.scalar.tag);
    bool plain_style = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (tag == nullptr && plain_style && IsNullString(value, e.data.scalar.length)) {
      node->kind_ = YamlNode::Kind::kNull;
      if (e.end_mark.index == e.start_mark.index && e.data.scalar.anchor == nullptr) {
        // An empty value: yaml-cpp placed it where the next token starts.
        auto [line, column] = positions_.FromByte(positions_.NextTokenByte(positions_.ByteOf(e.start_mark)));
        node->line_ = line;
        node->column_ = column;
      }
    } else {
      node->kind_ = YamlNode::Kind::kScalar;
      // Into the node's block (the last one), so that it goes with the node.
      std::vector<char>& text = doc_->node_blocks_.back().text;
      node->first_ = static_cast<uint32_t>(text.size());
      text.insert(text.end(), value, value + e.data.scalar.length);
      node->size_ = static_cast<uint32_t>(e.data.scalar.length);
      node->quoted_ = tag == nullptr ? !plain_style : std::strcmp(tag, "!") == 0;
    }
    RegisterAnchor(e.data.scalar.anchor, node);
    return node;
  }

  void RegisterAnchor(const yaml_char_t* anchor, const YamlNode* node) {
    if (anchor != nullptr) anchors_[Text(anchor)] = node;
  }

  // Adds a finished node to the open collection, or makes it the root.
  void Attach(const YamlNode* node) {
    if (open_.empty()) {
      doc_->root_ = node;
    } else {
      scratch_.push_back(node);
    }
  }

  // Moves the children of the innermost open collection to the document's
  // flat arrays and returns the collection.
  YamlNode* Close() {
    Open open = open_.back();
    open_.pop_back();
    YamlNode* node = open.node;
    size_t n = scratch_.size() - open.first;
    if (node->kind_ == YamlNode::Kind::kSequence) {
      std::vector<const YamlNode*>& items = doc_->node_blocks_[open.block].items;
      node->first_ = static_cast<uint32_t>(items.size());
      node->size_ = static_cast<uint32_t>(n);
      items.insert(items.end(), scratch_.begin() + static_cast<std::ptrdiff_t>(open.first), scratch_.end());
    } else {
      std::vector<YamlNode::Pair>& pairs = doc_->node_blocks_[open.block].pairs;
      node->first_ = static_cast<uint32_t>(pairs.size());
      node->size_ = static_cast<uint32_t>(n / 2);
      for (size_t i = open.first; i + 1 < scratch_.size(); i += 2) {
        pairs.push_back({scratch_[i], scratch_[i + 1]});
      }
    }
    scratch_.resize(open.first);
    return node;
  }

  // Points every scalar at its text and every collection at its children,
  // now that the arrays stay put.
  void Finish() {
    for (auto& block : doc_->node_blocks_) {
      // The arrays grew by doubling; trim them before they are pointed into.
      block.text.shrink_to_fit();
      block.items.shrink_to_fit();
      block.pairs.shrink_to_fit();
      const size_t used = doc_->UsedNodes(block);
      for (size_t i = 0; i < used; ++i) {
        YamlNode& node = block.nodes[i];
        if (node.kind_ == YamlNode::Kind::kScalar) {
          if (node.size_ > 0) node.data_ = block.text.data() + node.first_;
        } else if (node.kind_ == YamlNode::Kind::kSequence) {
          node.data_ = block.items.data() + node.first_;
        } else if (node.kind_ == YamlNode::Kind::kMap) {
          node.data_ = block.pairs.data() + node.first_;
        }
      }
    }
  }

  YamlSyntaxError ParserError(const yaml_parser_t& parser) {
    if (parser.error == YAML_MEMORY_ERROR) throw std::bad_alloc();
    YamlSyntaxError error;
    std::string problem = parser.problem != nullptr ? parser.problem : "unknown problem";
    if (parser.error == YAML_READER_ERROR) {
      auto [line, column] = positions_.FromByte(parser.problem_offset);
      error.line = line;
      error.column = column;
      error.message =
          parser.problem_value >= 0 ? fmt::format("{} (#x{:X})", problem, parser.problem_value) : problem;
      return error;
    }
    auto [line, column] = positions_.FromMark(parser.problem_mark);
    error.line = line;
    error.column = column;
    error.message = problem;
    if (parser.context != nullptr) {
      auto [cline, ccolumn] = positions_.FromMark(parser.context_mark);
      error.message += fmt::format(" ({} at line {}, column {})", parser.context, cline, ccolumn);
    }
    return error;
  }

  YamlSyntaxError Fail(YamlSyntaxError error) {
    *doc_ = YamlDocument();
    return error;
  }

  std::string_view text_;
  Positions positions_;
  YamlDocument* doc_;
  std::vector<Open> open_;
  std::vector<const YamlNode*> scratch_;  // children of the open collections, innermost last
  std::unordered_map<std::string, const YamlNode*> anchors_;
};

std::optional<YamlSyntaxError> ParseYaml(std::string_view text, YamlDocument* doc) {
  *doc = YamlDocument();
  // Before libyaml: its scanner's cost grows with the square of the nesting.
  if (auto deep = CheckYamlNesting(text)) return YamlSyntaxError{deep->message, deep->line, deep->column};
  YamlTreeBuilder builder(text, doc);
  return builder.Run();
}

}  // namespace mlpipe::spec::internal
