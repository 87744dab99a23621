// Where a spec's value was written (SourceLocation), and the interned
// strings that keep a 10,000-step spec's many copies of its file name small.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace mlpipe::spec {

// A string interned for the life of the process: the same text always gets
// the same 4-byte id. For the few distinct values that a spec repeats in
// every step (its file name in each of a step's locations, artifact types):
// a 10,000-step spec holds tens of thousands of them. Converts to and from
// std::string; thread-safe; equality compares ids.
class InternedString {
 public:
  InternedString() = default;             // ""
  InternedString(std::string_view text);  // NOLINT: stands in for a string
  InternedString(const std::string& text) : InternedString(std::string_view(text)) {}  // NOLINT
  InternedString(const char* text) : InternedString(std::string_view(text)) {}         // NOLINT
  const std::string& str() const;
  operator const std::string&() const { return str(); }  // NOLINT
  bool empty() const { return id_ == 0; }
  friend bool operator==(InternedString a, InternedString b) { return a.id_ == b.id_; }
  // Against text (`type == "metrics"`, a file name): compares the text, and
  // leaves the table alone.
  friend bool operator==(InternedString a, const char* text) { return a.str() == text; }
  friend bool operator==(InternedString a, const std::string& text) { return a.str() == text; }
  friend bool operator<(InternedString a, InternedString b) { return a.id_ != b.id_ && a.str() < b.str(); }

 private:
  uint32_t id_ = 0;  // index into the process's table of strings; 0 is ""
};

// nlohmann::json takes an InternedString as its text.
inline void to_json(nlohmann::json& j, const InternedString& s) { j = s.str(); }

// 1-based line and column of a YAML node; file is the path as given.
struct SourceLocation {
  InternedString file;
  int line = 0;
  int column = 0;
  std::string ToString() const;  // "file:line:column"
};

}  // namespace mlpipe::spec

// Formats an InternedString as its text.
template <>
struct fmt::formatter<mlpipe::spec::InternedString> : fmt::formatter<std::string_view> {
  auto format(const mlpipe::spec::InternedString& s, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(s.str(), ctx);
  }
};
