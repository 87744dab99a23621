// A cheap pre-scan of a YAML text's nesting, run before any YAML parser sees
// it. Every YAML file mlpipe reads (pipeline specs, component files,
// deployment files) nests a few levels (a pipeline spec about 6); a file
// nested tens of thousands of levels deep costs libyaml's scanner time
// quadratic in the depth (12 s at 40,000 levels) and recursive readers their
// stack. So a file deeper than kMaxYamlNesting is rejected, at the place
// where it crosses the limit, before it is parsed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mlpipe {

// 64: ten times what a real file needs, and small enough that a hostile file
// costs nothing.
inline constexpr int kMaxYamlNesting = 64;

struct YamlNestingError {
  int line = 0;         // 1-based
  int column = 0;       // 1-based, in bytes
  std::string message;  // "nested more than 64 levels deep ..."
};

// Estimates the nesting of `text` line by line in one pass: flow collections
// (`[`, `{` outside quotes and comments), block collections (indentation
// levels, compact `- - x` items); block scalars (`|`, `>`) are skipped. The
// estimate is close to the parser's count for ordinary files and never far
// below it for deep ones. Returns where the nesting passes `limit`, or
// nullopt.
std::optional<YamlNestingError> CheckYamlNesting(std::string_view text, int limit = kMaxYamlNesting);

}  // namespace mlpipe
