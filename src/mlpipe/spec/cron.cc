// Parsing a cron schedule's five fields into bit sets.
#include "mlpipe/spec/cron.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <vector>

#include "mlpipe/base/strings.h"

namespace mlpipe::spec {
namespace {

struct FieldRule {
  const char* name;  // for messages: "day-of-week"
  int min;
  int max;
  const char* const* names;  // names for min, min+1, ... (nullptr: numbers only)
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr std::array<FieldRule, 5> kFields = {{
    {"minute", 0, 59, nullptr},
    {"hour", 0, 23, nullptr},
    {"day-of-month", 1, 31, nullptr},
    {"month", 1, 12, kMonthNames},
    {"day-of-week", 0, 7, kDayNames},  // 7 is Sunday again; SAT is the last name
}};

struct Shorthand {
  const char* name;
  const char* fields;
};
constexpr Shorthand kShorthands[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},  {"@midnight", "0 0 * * *"}, {"@hourly", "0 * * * *"},
};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Reads one value of `rule` (a number or a name). Error: the part and why.
StatusOr<int> ParseValue(std::string_view part, const FieldRule& rule) {
  if (part.empty()) return InvalidArgumentError("a value is missing");
  if (std::isdigit(static_cast<unsigned char>(part[0]))) {
    int v = 0;
    for (char c : part) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        return InvalidArgumentError(fmt::format("'{}' is not a number", part));
      }
      v = v * 10 + (c - '0');
      if (v > 1000) break;
    }
    if (v < rule.min || v > rule.max) {
      return InvalidArgumentError(fmt::format("'{}' is out of range {}-{}", part, rule.min, rule.max));
    }
    return v;
  }
  if (rule.names != nullptr) {
    const std::string up = Upper(part);
    const int count = rule.max - rule.min + (rule.min == 0 ? 0 : 1);  // SUN..SAT: 7 names for 0-7
    for (int i = 0; i < count; ++i) {
      if (up == rule.names[i]) return rule.min + i;
    }
    return InvalidArgumentError(fmt::format("unknown name '{}' (use {}-{} or {}-{})", part, rule.names[0],
                                            rule.names[count - 1], rule.min, rule.max));
  }
  return InvalidArgumentError(fmt::format("'{}' is not a number", part));
}

// Reads one comma-separated item ("*", "N", "a-b", each optionally "/n")
// into *bits.
Status ParseItem(std::string_view item, const FieldRule& rule, uint64_t* bits) {
  std::string_view range = item;
  int step = 1;
  const size_t slash = item.find('/');
  if (slash != std::string_view::npos) {
    range = item.substr(0, slash);
    std::string_view step_text = item.substr(slash + 1);
    FieldRule step_rule{rule.name, 1, rule.max - rule.min + 1, nullptr};
    if (step_text.empty()) return InvalidArgumentError(fmt::format("'{}' has no step after '/'", item));
    if (step_text == "0") return InvalidArgumentError(fmt::format("'{}': a step must be at least 1", item));
    StatusOr<int> s = ParseValue(step_text, step_rule);
    if (!s.ok()) return InvalidArgumentError(fmt::format("step of '{}': {}", item, s.status().message()));
    step = *s;
  }
  int lo = rule.min;
  int hi = rule.max;
  if (range != "*") {
    const size_t dash = range.find('-');
    StatusOr<int> a = ParseValue(range.substr(0, dash), rule);
    if (!a.ok()) return a.status();
    lo = *a;
    if (dash != std::string_view::npos) {
      StatusOr<int> b = ParseValue(range.substr(dash + 1), rule);
      if (!b.ok()) return b.status();
      hi = *b;
      if (hi < lo) {
        return InvalidArgumentError(
            fmt::format("range '{}' runs backwards (write the smaller value first)", range));
      }
    } else if (slash == std::string_view::npos) {
      hi = lo;  // a single value; "a/n" runs to the field's maximum
    }
  }
  for (int v = lo; v <= hi; v += step) *bits |= uint64_t{1} << v;
  return OkStatus();
}

// Reads field `index` of the five into its bit set (bit v: value v).
StatusOr<uint64_t> ParseField(std::string_view text, size_t index) {
  const FieldRule& rule = kFields[index];
  uint64_t bits = 0;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    std::string_view item =
        text.substr(begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin);
    Status st =
        item.empty() ? InvalidArgumentError("an empty item in the list") : ParseItem(item, rule, &bits);
    if (!st.ok()) {
      std::string detail(st.message());
      // "'8' is out of range 0-7" reads as "out of range 0-7" when the part is the field.
      const std::string whole = fmt::format("'{}' is ", text);
      if (detail.rfind(whole, 0) == 0) detail = detail.substr(whole.size());
      return InvalidArgumentError(fmt::format("{} field '{}': {}", rule.name, text, detail));
    }
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return bits;
}

constexpr int kDaysInMonth[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};  // February: leap years

}  // namespace

StatusOr<CronSchedule> CronSchedule::Parse(std::string_view text) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    size_t begin = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > begin) fields.push_back(text.substr(begin, i - begin));
  }
  CronSchedule out;
  if (fields.size() == 1 && fields[0][0] == '@') {
    const std::string name = AsciiLower(fields[0]);
    for (const Shorthand& s : kShorthands) {
      if (name == s.name) {
        StatusOr<CronSchedule> parsed = Parse(s.fields);
        if (parsed.ok()) parsed->text_ = name;
        return parsed;
      }
    }
    return InvalidArgumentError(fmt::format(
        "unknown schedule '{}' (the @ forms are @yearly, @annually, @monthly, @weekly, @daily, @midnight, "
        "@hourly)",
        fields[0]));
  }
  if (fields.size() != 5) {
    return InvalidArgumentError(
        fmt::format("expected 5 fields (minute hour day-of-month month day-of-week), got {}", fields.size()));
  }
  std::array<uint64_t, 5> bits{};
  for (size_t f = 0; f < 5; ++f) {
    StatusOr<uint64_t> b = ParseField(fields[f], f);
    if (!b.ok()) return b.status();
    bits[f] = *b;
  }
  out.minutes_ = bits[0];
  out.hours_ = static_cast<uint32_t>(bits[1]);
  out.days_ = static_cast<uint32_t>(bits[2]);
  out.months_ = static_cast<uint16_t>(bits[3]);
  // 7 is Sunday, like 0.
  out.weekdays_ = static_cast<uint8_t>((bits[4] & 0x7f) | ((bits[4] >> 7) & 1));
  out.day_and_ = fields[2][0] == '*' || fields[4][0] == '*';
  // A day-of-month that no chosen month has (30 February) never fires when
  // days must match it (a day-of-week alone matches some day of any month).
  if (out.day_and_) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      if ((out.months_ >> m & 1) == 0) continue;
      for (int d = 1; d <= kDaysInMonth[m] && !possible; ++d) possible = (out.days_ >> d & 1) != 0;
    }
    if (!possible) {
      return InvalidArgumentError(
          fmt::format("day-of-month field '{}': no such day in month field '{}', so the "
                      "schedule never fires",
                      fields[2], fields[3]));
    }
  }
  out.text_ = fmt::format("{} {} {} {} {}", fields[0], fields[1], fields[2], fields[3], fields[4]);
  return out;
}

bool CronSchedule::MatchesDay(int month, int day, int weekday) const {
  if ((months_ >> month & 1) == 0) return false;
  const bool dom = (days_ >> day & 1) != 0;
  const bool dow = (weekdays_ >> weekday & 1) != 0;
  return day_and_ ? dom && dow : dom || dow;
}

bool CronSchedule::MatchesTime(int hour, int minute) const {
  return (hours_ >> hour & 1) != 0 && (minutes_ >> minute & 1) != 0;
}

}  // namespace mlpipe::spec
