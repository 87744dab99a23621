// The parts of an /api/v1 request target: the path as segments and the query
// string as parameters, both percent-decoded. The path is split before it is
// decoded, so a segment may hold an encoded '/' (an artifact named
// `p.source.data/loans.csv:v1` is one segment when sent as
// `p.source.data%2Floans.csv%3Av1`).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::server {

// "%41b+c" -> "Ab c" when `plus_is_space` (query strings), "Ab+c" otherwise
// (paths). InvalidArgument for a '%' not followed by two hex digits.
StatusOr<std::string> PercentDecode(std::string_view text, bool plus_is_space);

// The path of `target` (up to '?' or '#') split at '/' and each segment
// decoded: "/api/v1/runs/7/" -> {"api", "v1", "runs", "7"} (empty segments
// dropped). InvalidArgument for a bad escape.
StatusOr<std::vector<std::string>> PathSegments(std::string_view target);

// The query string of a request: `a=1&b=x%20y&a=2`. A key may repeat; a key
// without '=' has the value "". Errors name the parameter and what it allows,
// so a route can answer them as 400 as they are.
class QueryParams {
 public:
  // Parses the query of `target` (after '?', up to '#'; none is empty).
  // InvalidArgument for a bad escape.
  static StatusOr<QueryParams> FromTarget(std::string_view target);

  // InvalidArgument naming the first parameter not in `allowed`, with the
  // list of those allowed: a misspelt filter is an error, never ignored.
  Status CheckAllowed(std::initializer_list<std::string_view> allowed) const;
  // Every value of `key`, in order.
  std::vector<std::string> All(std::string_view key) const;
  // The value of `key` (pointing into this object); nullptr if absent.
  // InvalidArgument if it is given more than once.
  StatusOr<const std::string*> One(std::string_view key) const;
  // One(key), or `fallback` if absent.
  StatusOr<std::string> Text(std::string_view key, std::string_view fallback) const;
  // An integer in [min, max]; `fallback` if absent. InvalidArgument naming
  // the parameter and the range for anything else ("", "ten", "5x", 1001).
  StatusOr<int64_t> Int(std::string_view key, int64_t fallback, int64_t min, int64_t max) const;
  // One of `choices`; `fallback` if absent. InvalidArgument listing them.
  StatusOr<std::string> Choice(std::string_view key, std::string_view fallback,
                               std::initializer_list<std::string_view> choices) const;
  // "1", "true", "yes" (or a bare key) -> true; "0", "false", "no" -> false;
  // absent -> false. InvalidArgument for anything else.
  StatusOr<bool> Flag(std::string_view key) const;

 private:
  std::vector<std::pair<std::string, std::string>> params_;  // in the order sent
};

}  // namespace mlpipe::server
