#include "mlpipe/monitor/log_time.h"

#include "mlpipe/data/date.h"

namespace mlpipe::monitor {
namespace {

// `count` digits at text[pos]; nullopt if any is not a digit.
std::optional<int> Digits(std::string_view text, size_t pos, size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int v = 0;
  for (size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    v = v * 10 + (text[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<int64_t> ParseUtcTime(std::string_view text) {
  if (text.size() < 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':') return std::nullopt;
  std::optional<int32_t> day = data::ParseDate(text.substr(0, 10));
  auto hour = Digits(text, 11, 2), minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (!day || !hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  size_t pos = 19;
  int64_t fraction_ns = 0;
  if (text[pos] == '.') {
    ++pos;
    int64_t scale = 100'000'000;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 9) return std::nullopt;
      fraction_ns += (text[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
  }
  std::string_view zone = text.substr(pos);
  if (zone != "Z" && zone != "+00:00") return std::nullopt;
  const int64_t seconds = int64_t{*day} * 86400 + *hour * 3600 + *minute * 60 + *second;
  return seconds * 1'000'000'000 + fraction_ns;
}

}  // namespace mlpipe::monitor
