#include "mlpipe/server/run_filter.h"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

#include "mlpipe/base/strings.h"

namespace mlpipe::server {
namespace {

using metadata::RunCondition;

bool IsFilterKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == '/' ||
         c == ':';
}
bool IsFilterParamChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

// A cursor over the filter's text; every error names the column (1-based).
class FilterScanner {
 public:
  explicit FilterScanner(std::string_view text) : text_(text) {}

  void SkipSpaces() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool AtEnd() {
    SkipSpaces();
    return pos_ >= text_.size();
  }
  size_t Column() const { return pos_ + 1; }
  // The next word (up to a space), for "got '...'" in errors.
  std::string_view Next() const {
    size_t end = pos_;
    while (end < text_.size() && !std::isspace(static_cast<unsigned char>(text_[end]))) ++end;
    return text_.substr(pos_, end - pos_);
  }
  std::string_view TakeWhile(bool (*pred)(char)) {
    const size_t start = pos_;
    while (pos_ < text_.size() && pred(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  bool Take(std::string_view s) {
    if (text_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void Advance() { ++pos_; }

  Status Error(std::string_view what) const {
    const std::string_view got = Next();
    return InvalidArgumentError(fmt::format("parameter 'filter': {} at column {}, got {}", what, Column(),
                                            got.empty() ? "the end" : fmt::format("'{}'", got)));
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

constexpr std::string_view kFilterHelp =
    "write conditions such as params.lr = 0.1 and metrics.accuracy > 0.9";

StatusOr<RunCondition> ParseFilterKey(FilterScanner& s) {
  RunCondition c;
  const size_t column = s.Column();
  std::string_view key = s.TakeWhile(IsFilterKeyChar);
  const size_t dot = key.find('.');
  const std::string_view field = key.substr(0, dot);
  if (field == "params" || field == "param") {
    c.field = RunCondition::Field::kParam;
  } else if (field == "metrics" || field == "metric") {
    c.field = RunCondition::Field::kMetric;
  } else {
    return InvalidArgumentError(
        fmt::format("parameter 'filter': '{}' at column {} is not params.NAME or metrics.NAME ({})",
                    key.empty() ? s.Next() : key, column, kFilterHelp));
  }
  c.key = dot == std::string_view::npos ? "" : std::string(key.substr(dot + 1));
  if (c.key.empty() || c.key.front() == '.' || c.key.back() == '.') {
    return InvalidArgumentError(fmt::format("parameter 'filter': '{}' at column {} names no {} ({}.NAME)",
                                            key, column, field, field));
  }
  if (c.field == RunCondition::Field::kParam) {
    for (char ch : c.key) {
      if (!IsFilterParamChar(ch)) {
        return InvalidArgumentError(fmt::format(
            "parameter 'filter': '{}' at column {} is not a param name (letters, digits, '_' and '-')", key,
            column));
      }
    }
  }
  return c;
}

StatusOr<RunCondition::Op> ParseFilterOperator(FilterScanner& s, std::string_view after) {
  s.SkipSpaces();
  // Longest first: "<=" before "<".
  static constexpr std::pair<std::string_view, RunCondition::Op> kOps[] = {
      {"==", RunCondition::Op::kEq}, {"!=", RunCondition::Op::kNe}, {"<>", RunCondition::Op::kNe},
      {"<=", RunCondition::Op::kLe}, {">=", RunCondition::Op::kGe}, {"=", RunCondition::Op::kEq},
      {"<", RunCondition::Op::kLt},  {">", RunCondition::Op::kGt}};
  for (const auto& [text, op] : kOps) {
    if (s.Take(text)) return op;
  }
  return s.Error(fmt::format("expected an operator (=, !=, <, <=, >, >=) after '{}'", after));
}

std::optional<double> ParseFilterNumber(std::string_view word) {
  double d = 0;
  const char* end = word.data() + word.size();
  auto [p, ec] = std::from_chars(word.data(), end, d);
  if (ec != std::errc() || p != end || !std::isfinite(d)) return std::nullopt;
  return d;
}

Status ParseFilterValue(FilterScanner& s, RunCondition& c, std::string_view key_text) {
  s.SkipSpaces();
  const size_t column = s.Column();
  const char quote = s.Peek();
  if (quote == '\'' || quote == '"') {
    s.Advance();
    std::string text;
    while (s.Peek() != quote) {
      if (s.Peek() == '\0') {
        return InvalidArgumentError(
            fmt::format("parameter 'filter': the string at column {} has no closing {}", column, quote));
      }
      text += s.Peek();
      s.Advance();
    }
    s.Advance();
    c.value = std::move(text);
  } else {
    const std::string_view word = s.TakeWhile(
        [](char ch) { return !std::isspace(static_cast<unsigned char>(ch)) && ch != '\'' && ch != '"'; });
    if (word.empty()) return s.Error(fmt::format("expected a value after '{}'", key_text));
    if (auto number = ParseFilterNumber(word)) {
      c.value = *number;
    } else if (word == "true" || word == "false") {
      c.value = word == "true";
    } else {
      c.value = std::string(word);
    }
  }
  const bool is_number = std::holds_alternative<double>(c.value);
  if (c.field == RunCondition::Field::kMetric && !is_number) {
    return InvalidArgumentError(fmt::format(
        "parameter 'filter': {} is compared with a number (metrics are numbers), not the value at column {}",
        key_text, column));
  }
  if (!is_number && c.op != RunCondition::Op::kEq && c.op != RunCondition::Op::kNe) {
    return InvalidArgumentError(fmt::format(
        "parameter 'filter': <, <=, > and >= compare numbers; {} is compared with the value at column {} "
        "by = or !=",
        key_text, column));
  }
  return OkStatus();
}

}  // namespace

StatusOr<std::vector<RunCondition>> ParseRunFilter(std::string_view text) {
  std::vector<RunCondition> out;
  FilterScanner s(text);
  if (s.AtEnd()) return out;
  while (true) {
    s.SkipSpaces();
    ASSIGN_OR_RETURN(RunCondition c, ParseFilterKey(s));
    const std::string key_text =
        fmt::format("{}.{}", c.field == RunCondition::Field::kParam ? "params" : "metrics", c.key);
    ASSIGN_OR_RETURN(c.op, ParseFilterOperator(s, key_text));
    RETURN_IF_ERROR(ParseFilterValue(s, c, key_text));
    out.push_back(std::move(c));
    if (s.AtEnd()) return out;
    const std::string_view word = s.Next();
    const std::string lower = AsciiLower(word);
    if (lower != "and") {
      return s.Error(lower == "or" ? "only 'and' joins conditions (no 'or')"
                                   : "expected 'and' between conditions");
    }
    s.TakeWhile([](char ch) { return !std::isspace(static_cast<unsigned char>(ch)); });
    if (s.AtEnd()) return s.Error("expected a condition after 'and'");
  }
}

}  // namespace mlpipe::server
