// A cron schedule (a `schedule:` trigger): five fields, minute hour
// day-of-month month day-of-week, read with Vixie cron's rules, and the next
// time it fires in the process's local time zone.
//
// Every field takes `*`, a number N, a range `a-b`, a step `*/n`, `a-b/n` or
// `a/n` (a through the field's maximum), and comma lists of those
// (`1,5,10-12`). The month field takes JAN-DEC and the day-of-week field
// SUN-SAT (case-insensitive, also inside ranges: `MON-FRI`); day-of-week 7 is
// Sunday like 0. `@yearly` (= `@annually`), `@monthly`, `@weekly`, `@daily`
// (= `@midnight`) and `@hourly` stand for their five fields.
//
// Days follow Vixie cron: when day-of-month and day-of-week are both
// restricted (neither field starts with `*`), a day matches if EITHER does
// ("0 0 1 * MON": the 1st and every Monday); otherwise both must.
//
// Thread-safe: a parsed schedule is immutable. NextAfter reads the process's
// time zone (TZ, through localtime_r/mktime).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mlpipe/base/status.h"

namespace mlpipe::spec {

class CronSchedule {
 public:
  // Parses `text` (fields separated by spaces or tabs). InvalidArgument names
  // the field and the part at fault: "day-of-week field '8': out of range
  // 0-7", "expected 5 fields (minute hour day-of-month month day-of-week),
  // got 6", "unknown schedule '@weekdays'". A schedule that can never fire
  // ("0 0 30 2 *") is refused too, naming its day-of-month field.
  static StatusOr<CronSchedule> Parse(std::string_view text);

  // The first time the schedule fires strictly after `time_ns` (nanoseconds
  // since the Unix epoch), in nanoseconds: a whole local minute that the
  // fields match, in the process's local time zone.
  // Daylight-saving time: a local time skipped by a spring-forward fires
  // once, at the instant of the jump (all the times skipped in one jump fire
  // once together); a local time that occurs twice at a fall-back fires at
  // its first occurrence only.
  int64_t NextAfter(int64_t time_ns) const;

  // The schedule as written, with runs of blanks made one space ("0 3 * * 1-5",
  // "@daily"): what a run's reason quotes ("schedule 0 3 * * 1-5").
  std::string Describe() const { return text_; }

  // Whether local date (year, month 1-12, day 1-31, weekday 0-6 = Sunday-
  // Saturday) and time (hour, minute) match the fields.
  bool MatchesDay(int month, int day, int weekday) const;
  bool MatchesTime(int hour, int minute) const;

 private:
  CronSchedule() = default;

  uint64_t minutes_ = 0;  // bit m: minute m (0-59)
  uint32_t hours_ = 0;    // bit h: hour h (0-23)
  uint32_t days_ = 0;     // bit d: day-of-month d (1-31)
  uint16_t months_ = 0;   // bit m: month m (1-12)
  uint8_t weekdays_ = 0;  // bit w: day-of-week w (0-6, 0 = Sunday)
  // The day-of-month or day-of-week field starts with '*': days must match
  // both fields (else either).
  bool day_and_ = true;
  std::string text_;
};

}  // namespace mlpipe::spec
