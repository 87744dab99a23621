#include "mlpipe/server/api_query.h"

#include <fmt/format.h>

#include <charconv>

#include "mlpipe/base/strings.h"

namespace mlpipe::server {
namespace {

// The target without its fragment.
std::string_view WithoutFragment(std::string_view target) { return target.substr(0, target.find('#')); }

}  // namespace

StatusOr<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int hi = i + 1 < text.size() ? HexDigitValue(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexDigitValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return InvalidArgumentError(fmt::format(
            "bad percent-encoding in '{}' at byte {}: '%' must be followed by two hex digits", text, i));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
  }
  return out;
}

StatusOr<std::vector<std::string>> PathSegments(std::string_view target) {
  std::string_view path = WithoutFragment(target);
  path = path.substr(0, path.find('?'));
  std::vector<std::string> out;
  for (const std::string& raw : Split(path, '/')) {
    if (raw.empty()) continue;
    ASSIGN_OR_RETURN(std::string segment, PercentDecode(raw, /*plus_is_space=*/false));
    out.push_back(std::move(segment));
  }
  return out;
}

StatusOr<QueryParams> QueryParams::FromTarget(std::string_view target) {
  QueryParams q;
  std::string_view rest = WithoutFragment(target);
  const size_t mark = rest.find('?');
  if (mark == std::string_view::npos) return q;
  for (const std::string& pair : Split(rest.substr(mark + 1), '&')) {
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    ASSIGN_OR_RETURN(std::string key, PercentDecode(std::string_view(pair).substr(0, eq), true));
    std::string value;
    if (eq != std::string::npos) {
      ASSIGN_OR_RETURN(value, PercentDecode(std::string_view(pair).substr(eq + 1), true));
    }
    q.params_.emplace_back(std::move(key), std::move(value));
  }
  return q;
}

Status QueryParams::CheckAllowed(std::initializer_list<std::string_view> allowed) const {
  for (const auto& [key, value] : params_) {
    bool known = false;
    for (std::string_view a : allowed) known = known || a == key;
    if (known) continue;
    std::vector<std::string> names(allowed.begin(), allowed.end());
    if (names.empty())
      return InvalidArgumentError(fmt::format("unknown parameter '{}': this route takes none", key));
    const std::string hint = ClosestMatch(key, names);
    return InvalidArgumentError(fmt::format("unknown parameter '{}'{} (allowed: {})", key,
                                            hint.empty() ? "" : "; did you mean '" + hint + "'?",
                                            Join(names, ", ")));
  }
  return OkStatus();
}

std::vector<std::string> QueryParams::All(std::string_view key) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : params_) {
    if (k == key) out.push_back(v);
  }
  return out;
}

StatusOr<const std::string*> QueryParams::One(std::string_view key) const {
  const std::string* found = nullptr;
  int count = 0;
  for (const auto& [k, v] : params_) {
    if (k != key) continue;
    if (!found) found = &v;
    ++count;
  }
  if (count > 1)
    return InvalidArgumentError(fmt::format("parameter '{}' is given {} times; give it once", key, count));
  return found;
}

StatusOr<std::string> QueryParams::Text(std::string_view key, std::string_view fallback) const {
  ASSIGN_OR_RETURN(const std::string* value, One(key));
  return value ? *value : std::string(fallback);
}

StatusOr<int64_t> QueryParams::Int(std::string_view key, int64_t fallback, int64_t min, int64_t max) const {
  ASSIGN_OR_RETURN(const std::string* value, One(key));
  if (!value) return fallback;
  int64_t n = 0;
  const char* end = value->data() + value->size();
  auto [ptr, ec] = std::from_chars(value->data(), end, n);
  if (value->empty() || ec != std::errc() || ptr != end || n < min || n > max) {
    return InvalidArgumentError(
        fmt::format("parameter '{}' must be an integer from {} to {}, not '{}'", key, min, max, *value));
  }
  return n;
}

StatusOr<std::string> QueryParams::Choice(std::string_view key, std::string_view fallback,
                                          std::initializer_list<std::string_view> choices) const {
  ASSIGN_OR_RETURN(std::string value, Text(key, fallback));
  for (std::string_view c : choices) {
    if (c == value) return value;
  }
  std::vector<std::string> names(choices.begin(), choices.end());
  return InvalidArgumentError(
      fmt::format("parameter '{}' must be one of {}, not '{}'", key, Join(names, ", "), value));
}

StatusOr<bool> QueryParams::Flag(std::string_view key) const {
  ASSIGN_OR_RETURN(const std::string* value, One(key));
  if (!value) return false;
  if (value->empty() || *value == "1" || *value == "true" || *value == "yes") return true;
  if (*value == "0" || *value == "false" || *value == "no") return false;
  return InvalidArgumentError(
      fmt::format("parameter '{}' must be 1 or 0 (true or false), not '{}'", key, *value));
}

}  // namespace mlpipe::server
