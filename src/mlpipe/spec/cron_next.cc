// When a cron schedule fires next, in local time, across daylight-saving
// jumps: the calendar is walked as local wall-clock dates (pure arithmetic),
// and only a matching wall time is turned into an instant (mktime).
#include <ctime>
#include <limits>

#include "mlpipe/spec/cron.h"

namespace mlpipe::spec {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The date of day `days` since 1970-01-01 (civil_from_days).
void CivilFromDays(int64_t days, int64_t* y, int* m, int* d) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  *d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  *m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

// A local wall-clock minute as one number: minutes since 1970-01-01 00:00 of
// the wall clock (no time zone), so wall times compare as numbers.
int64_t WallMinute(int64_t days, int hour, int minute) { return days * 1440 + hour * 60 + minute; }

int64_t WallMinuteOf(time_t t) {
  struct tm tm {};
  localtime_r(&t, &tm);
  return WallMinute(DaysFromCivil(tm.tm_year + int64_t{1900}, tm.tm_mon + 1, tm.tm_mday), tm.tm_hour,
                    tm.tm_min);
}

// The first instant (seconds) whose local wall clock reads `wall` (a
// WallMinute) or later: the wall time itself, its first occurrence when a
// fall-back repeats it, or the instant of the jump when a spring-forward
// skips it.
time_t FirstInstantAt(int64_t wall) {
  const int64_t days = wall / 1440;
  int64_t y = 0;
  int m = 0;
  int d = 0;
  CivilFromDays(days, &y, &m, &d);
  time_t found[2];
  int valid = 0;
  time_t lo = std::numeric_limits<time_t>::max();
  time_t hi = std::numeric_limits<time_t>::min();
  for (int isdst : {1, 0}) {
    struct tm tm {};
    tm.tm_year = static_cast<int>(y - 1900);
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_hour = static_cast<int>(wall % 1440 / 60);
    tm.tm_min = static_cast<int>(wall % 60);
    tm.tm_isdst = isdst;
    const time_t t = mktime(&tm);
    if (t == static_cast<time_t>(-1)) continue;
    if (WallMinuteOf(t) == wall) found[valid++] = t;
    lo = std::min(lo, t);
    hi = std::max(hi, t);
  }
  if (valid == 2) return std::min(found[0], found[1]);
  if (valid == 1) return found[0];
  if (lo > hi) return std::numeric_limits<time_t>::max();
  // Skipped by a jump: the jump lies between the two readings (wall time
  // runs forward there). Widen until it is bracketed, then bisect on seconds.
  for (int i = 0; i < 48 && WallMinuteOf(lo) >= wall; ++i) lo -= 3600;
  for (int i = 0; i < 48 && WallMinuteOf(hi) < wall; ++i) hi += 3600;
  while (hi - lo > 1) {
    const time_t mid = lo + (hi - lo) / 2;
    (WallMinuteOf(mid) >= wall ? hi : lo) = mid;
  }
  return hi;
}

// How far ahead the calendar is searched: a 29 February on a given weekday
// recurs within 40 years; 400 years is the Gregorian cycle.
constexpr int64_t kSearchDays = 400 * 366;

}  // namespace

int64_t CronSchedule::NextAfter(int64_t time_ns) const {
  const int64_t secs = time_ns / kNsPerSecond - (time_ns % kNsPerSecond < 0 ? 1 : 0);
  const time_t now = static_cast<time_t>(secs);
  const int64_t now_wall = WallMinuteOf(now);
  const int64_t first_day = now_wall / 1440 - (now_wall % 1440 < 0 ? 1 : 0);
  for (int64_t day = first_day; day < first_day + kSearchDays; ++day) {
    int64_t y = 0;
    int m = 0;
    int d = 0;
    CivilFromDays(day, &y, &m, &d);
    const int weekday = static_cast<int>(((day % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
    if (!MatchesDay(m, d, weekday)) continue;
    for (int hour = 0; hour < 24; ++hour) {
      if ((hours_ >> hour & 1) == 0) continue;
      for (int minute = 0; minute < 60; ++minute) {
        if (!MatchesTime(hour, minute)) continue;
        const int64_t wall = WallMinute(day, hour, minute);
        // A wall time the clock already read (once) has had its first instant.
        if (wall <= now_wall) continue;
        const time_t t = FirstInstantAt(wall);
        if (t > now) return static_cast<int64_t>(t) * kNsPerSecond;
      }
    }
  }
  return std::numeric_limits<int64_t>::max();
}

}  // namespace mlpipe::spec
