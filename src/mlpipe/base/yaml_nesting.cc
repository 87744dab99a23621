#include "mlpipe/base/yaml_nesting.h"

#include <fmt/format.h>

#include <vector>

namespace mlpipe {
namespace {

class NestingScanner {
 public:
  NestingScanner(std::string_view text, int limit) : text_(text), limit_(limit) {}

  std::optional<YamlNestingError> Run() {
    size_t pos = 0;
    while (pos <= text_.size() && !error_) {
      size_t end = text_.find('\n', pos);
      if (end == std::string_view::npos) end = text_.size();
      ++line_;
      ScanLine(text_.substr(pos, end - pos));
      pos = end + 1;
    }
    return error_;
  }

 private:
  void ScanLine(std::string_view line) {
    size_t indent = 0;
    while (indent < line.size() && line[indent] == ' ') ++indent;
    const bool blank = indent == line.size() || line[indent] == '#' || line[indent] == '\r';
    if (flow_depth_ > 0) {
      ScanFlow(line, indent);
      return;
    }
    if (blank) return;
    if (block_scalar_indent_ >= 0) {
      if (static_cast<int>(indent) > block_scalar_indent_) return;  // content of a | or > scalar
      block_scalar_indent_ = -1;
    }
    while (!indents_.empty() && indents_.back() > indent) indents_.pop_back();
    if (indents_.empty() || indents_.back() < indent) indents_.push_back(indent);
    int depth = static_cast<int>(indents_.size());
    if (Exceeds(depth, indent)) return;
    size_t i = indent;
    // Compact items: each "- " or "? " opens one more level on this line.
    while (i + 1 < line.size() && (line[i] == '-' || line[i] == '?') && line[i + 1] == ' ') {
      if (Exceeds(++depth, i)) return;
      i += 2;
      while (i < line.size() && line[i] == ' ') ++i;
    }
    i = SkipKey(line, i);
    i = SkipProperties(line, i);
    if (i >= line.size()) return;
    if (line[i] == '|' || line[i] == '>') {
      block_scalar_indent_ = static_cast<int>(indent);
      return;
    }
    if (line[i] == '[' || line[i] == '{') {
      block_depth_ = depth;
      ScanFlow(line, i);
    }
  }

  // Past "key: " (plain or quoted) if the line has one at `i`; else `i`.
  static size_t SkipKey(std::string_view line, size_t i) {
    size_t j = i;
    if (j < line.size() && (line[j] == '"' || line[j] == '\'')) {
      const char quote = line[j++];
      while (j < line.size() && line[j] != quote) j += line[j] == '\\' && quote == '"' ? 2 : 1;
      ++j;
    }
    for (; j < line.size(); ++j) {
      if (line[j] == '#' && j > 0 && line[j - 1] == ' ') return i;
      if (line[j] == ':' && (j + 1 == line.size() || line[j + 1] == ' ')) {
        ++j;
        while (j < line.size() && line[j] == ' ') ++j;
        return j;
      }
      if (j == i && (line[j] == '[' || line[j] == '{')) return i;
    }
    return i;
  }

  // Past anchors and tags ("&a ", "!!seq ") before a value.
  static size_t SkipProperties(std::string_view line, size_t i) {
    while (i < line.size() && (line[i] == '&' || line[i] == '!')) {
      while (i < line.size() && line[i] != ' ') ++i;
      while (i < line.size() && line[i] == ' ') ++i;
    }
    return i;
  }

  void ScanFlow(std::string_view line, size_t i) {
    for (; i < line.size() && !error_; ++i) {
      const char c = line[i];
      if (quote_ != 0) {
        if (c == '\\' && quote_ == '"') {
          ++i;
        } else if (c == quote_) {
          quote_ = 0;
        }
        continue;
      }
      if (c == '"' || c == '\'') {
        quote_ = c;
      } else if (c == '#' && (i == 0 || line[i - 1] == ' ')) {
        return;  // a comment to the end of the line
      } else if (c == '[' || c == '{') {
        if (Exceeds(block_depth_ + ++flow_depth_, i)) return;
      } else if ((c == ']' || c == '}') && flow_depth_ > 0) {
        if (--flow_depth_ == 0) return;  // what follows a flow value on its line nests nothing
      }
    }
  }

  bool Exceeds(int depth, size_t column0) {
    if (depth <= limit_) return false;
    error_ = YamlNestingError{
        line_, static_cast<int>(column0) + 1,
        fmt::format("nested more than {} levels deep (collections inside collections); mlpipe's YAML files "
                    "need far fewer, and a deeper file is refused before it is parsed",
                    limit_)};
    return true;
  }

  std::string_view text_;
  const int limit_;
  int line_ = 0;
  std::vector<size_t> indents_;   // indentation of the open block levels
  int block_scalar_indent_ = -1;  // >= 0 inside a | or > scalar: the indent of its key
  int block_depth_ = 0;           // block levels around the open flow collection
  int flow_depth_ = 0;
  char quote_ = 0;  // inside a quoted scalar of a flow collection
  std::optional<YamlNestingError> error_;
};

}  // namespace

std::optional<YamlNestingError> CheckYamlNesting(std::string_view text, int limit) {
  return NestingScanner(text, limit).Run();
}

}  // namespace mlpipe
