// Cron schedules: every field form, names, @ forms, Vixie's day rule, errors,
// and the next fire time in UTC and across daylight-saving jumps (instants
// worked out with Python's zoneinfo, written in UTC).
#include "mlpipe/spec/cron.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

namespace mlpipe::spec {
namespace {

using ::testing::ElementsAre;

// Sets TZ for the test's life and restores it after.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* tz) {
    const char* old = std::getenv("TZ");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~ScopedTimeZone() {
    if (had_) {
      setenv("TZ", old_.c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }

 private:
  bool had_ = false;
  std::string old_;
};

// Nanoseconds of "YYYY-MM-DD HH:MM" UTC.
int64_t Utc(const char* text) {
  struct tm tm {};
  EXPECT_NE(strptime(text, "%Y-%m-%d %H:%M", &tm), nullptr) << text;
  return static_cast<int64_t>(timegm(&tm)) * 1'000'000'000;
}

// "YYYY-MM-DD HH:MM" UTC of nanoseconds `ns`.
std::string UtcText(int64_t ns) {
  time_t t = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

CronSchedule MustParse(const std::string& text) {
  auto s = CronSchedule::Parse(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status().message();
  return s.ok() ? *s : *CronSchedule::Parse("* * * * *");
}

// The next `n` fire times after `from` (UTC text), as UTC text.
std::vector<std::string> Fires(const std::string& cron, const char* from, int n) {
  CronSchedule s = MustParse(cron);
  std::vector<std::string> out;
  int64_t t = Utc(from);
  for (int i = 0; i < n; ++i) {
    t = s.NextAfter(t);
    out.push_back(UtcText(t));
  }
  return out;
}

std::vector<int> Minutes(const std::string& cron) {
  CronSchedule s = MustParse(cron);
  std::vector<int> out;
  for (int m = 0; m < 60; ++m) {
    if (s.MatchesTime(0, m)) out.push_back(m);
  }
  return out;
}

std::string ParseError(const std::string& text) {
  auto s = CronSchedule::Parse(text);
  return s.ok() ? "(parsed)" : std::string(s.status().message());
}

TEST(CronParseTest, EveryFieldForm) {
  EXPECT_EQ(Minutes("* 0 * * *").size(), 60u);
  EXPECT_THAT(Minutes("7 0 * * *"), ElementsAre(7));
  EXPECT_THAT(Minutes("10-13 0 * * *"), ElementsAre(10, 11, 12, 13));
  EXPECT_THAT(Minutes("*/15 0 * * *"), ElementsAre(0, 15, 30, 45));
  EXPECT_THAT(Minutes("10-30/10 0 * * *"), ElementsAre(10, 20, 30));
  EXPECT_THAT(Minutes("50/4 0 * * *"), ElementsAre(50, 54, 58));  // a/n: a to the maximum
  EXPECT_THAT(Minutes("1,5,10-12,58/2 0 * * *"), ElementsAre(1, 5, 10, 11, 12, 58));
  EXPECT_THAT(Minutes("*/59 0 * * *"), ElementsAre(0, 59));
}

TEST(CronParseTest, HoursMonthsAndNamesCaseInsensitive) {
  CronSchedule s = MustParse("0 9-17/4 * jan-Mar,DEC *");
  EXPECT_TRUE(s.MatchesTime(9, 0));
  EXPECT_TRUE(s.MatchesTime(13, 0));
  EXPECT_TRUE(s.MatchesTime(17, 0));
  EXPECT_FALSE(s.MatchesTime(10, 0));
  EXPECT_FALSE(s.MatchesTime(9, 1));
  EXPECT_TRUE(s.MatchesDay(2, 10, 3));
  EXPECT_TRUE(s.MatchesDay(12, 10, 3));
  EXPECT_FALSE(s.MatchesDay(4, 10, 3));
}

TEST(CronParseTest, DayNamesAndSevenIsSunday) {
  for (const char* text : {"0 0 * * 7", "0 0 * * 0", "0 0 * * sun", "0 0 * * SUN"}) {
    CronSchedule s = MustParse(text);
    EXPECT_TRUE(s.MatchesDay(1, 4, 0)) << text;
    EXPECT_FALSE(s.MatchesDay(1, 5, 1)) << text;
  }
  CronSchedule weekend = MustParse("0 0 * * FRI-7");  // Friday through Sunday
  EXPECT_TRUE(weekend.MatchesDay(1, 1, 5));
  EXPECT_TRUE(weekend.MatchesDay(1, 1, 6));
  EXPECT_TRUE(weekend.MatchesDay(1, 1, 0));
  EXPECT_FALSE(weekend.MatchesDay(1, 1, 1));
  CronSchedule weekdays = MustParse("0 0 * * Mon-Fri");
  EXPECT_TRUE(weekdays.MatchesDay(1, 1, 1));
  EXPECT_FALSE(weekdays.MatchesDay(1, 1, 6));
}

TEST(CronParseTest, AtFormsAreTheirFields) {
  const char* from = "2026-12-06 13:17";  // a Sunday
  EXPECT_EQ(Fires("@yearly", from, 2), Fires("0 0 1 1 *", from, 2));
  EXPECT_EQ(Fires("@annually", from, 1), (std::vector<std::string>{"2027-01-01 00:00"}));
  EXPECT_EQ(Fires("@monthly", from, 1), (std::vector<std::string>{"2027-01-01 00:00"}));
  EXPECT_EQ(Fires("@weekly", from, 1), (std::vector<std::string>{"2026-12-13 00:00"}));
  EXPECT_EQ(Fires("@daily", from, 1), (std::vector<std::string>{"2026-12-07 00:00"}));
  EXPECT_EQ(Fires("@MIDNIGHT", from, 1), (std::vector<std::string>{"2026-12-07 00:00"}));
  EXPECT_EQ(Fires("@hourly", from, 2), (std::vector<std::string>{"2026-12-06 14:00", "2026-12-06 15:00"}));
  EXPECT_EQ(MustParse("@Daily").Describe(), "@daily");
}

TEST(CronParseTest, DescribeIsTheTextWithBlanksNormalised) {
  EXPECT_EQ(MustParse("  0  3 *\t* 1-5 ").Describe(), "0 3 * * 1-5");
}

TEST(CronParseTest, ErrorsNameTheField) {
  EXPECT_EQ(ParseError("0 0 * * 8"), "day-of-week field '8': out of range 0-7");
  EXPECT_EQ(ParseError("60 * * * *"), "minute field '60': out of range 0-59");
  EXPECT_EQ(ParseError("0 24 * * *"), "hour field '24': out of range 0-23");
  EXPECT_EQ(ParseError("0 0 0 * *"), "day-of-month field '0': out of range 1-31");
  EXPECT_EQ(ParseError("0 0 * 13 *"), "month field '13': out of range 1-12");
  EXPECT_EQ(ParseError("0 0 * * 1-5,9"), "day-of-week field '1-5,9': '9' is out of range 0-7");
  EXPECT_EQ(ParseError("0 0 * FOO *"), "month field 'FOO': unknown name 'FOO' (use JAN-DEC or 1-12)");
  EXPECT_EQ(ParseError("0 0 * * MON-FUN"),
            "day-of-week field 'MON-FUN': unknown name 'FUN' (use SUN-SAT or 0-7)");
  EXPECT_EQ(ParseError("x * * * *"), "minute field 'x': not a number");
  EXPECT_EQ(ParseError("5x * * * *"), "minute field '5x': not a number");
  EXPECT_EQ(ParseError("*/0 * * * *"), "minute field '*/0': '*/0': a step must be at least 1");
  EXPECT_EQ(ParseError("*/ * * * *"), "minute field '*/': '*/' has no step after '/'");
  EXPECT_EQ(ParseError("30-10 * * * *"),
            "minute field '30-10': range '30-10' runs backwards (write the smaller value first)");
  EXPECT_EQ(ParseError("1,,2 * * * *"), "minute field '1,,2': an empty item in the list");
  EXPECT_EQ(ParseError("0 3 * *"), "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
  EXPECT_EQ(ParseError("0 0 3 * * *"),
            "expected 5 fields (minute hour day-of-month month day-of-week), got 6");
  EXPECT_EQ(ParseError(""), "expected 5 fields (minute hour day-of-month month day-of-week), got 0");
  EXPECT_THAT(ParseError("@reboot"), ::testing::StartsWith("unknown schedule '@reboot'"));
  EXPECT_EQ(ParseError("0 0 30 2 *"),
            "day-of-month field '30': no such day in month field '2', so the schedule never fires");
  EXPECT_EQ(ParseError("0 0 31 4,6 *"),
            "day-of-month field '31': no such day in month field '4,6', so the schedule never fires");
  // A day-of-week restriction makes 30 February an OR: Mondays in February.
  EXPECT_TRUE(CronSchedule::Parse("0 0 30 2 1").ok());
}

class CronNextTest : public ::testing::Test {
 protected:
  ScopedTimeZone tz_{"UTC"};
};

TEST_F(CronNextTest, WeekdaysAtThree) {
  // Friday 2026-12-04 04:00: the next is Monday.
  EXPECT_THAT(Fires("0 3 * * 1-5", "2026-12-04 04:00", 3),
              ElementsAre("2026-12-07 03:00", "2026-12-08 03:00", "2026-12-09 03:00"));
}

TEST_F(CronNextTest, StrictlyAfterAndSecondsRoundUp) {
  CronSchedule s = MustParse("*/30 * * * *");
  EXPECT_EQ(UtcText(s.NextAfter(Utc("2026-12-06 10:30"))), "2026-12-06 11:00");
  EXPECT_EQ(UtcText(s.NextAfter(Utc("2026-12-06 10:30") - 1)), "2026-12-06 10:30");
  EXPECT_EQ(UtcText(s.NextAfter(Utc("2026-12-06 10:30") + 1)), "2026-12-06 11:00");
  EXPECT_EQ(s.NextAfter(Utc("2026-12-06 10:29")) % 60'000'000'000, 0);
}

TEST_F(CronNextTest, LeapDay) {
  EXPECT_THAT(Fires("0 12 29 2 *", "2026-01-01 00:00", 3),
              ElementsAre("2028-02-29 12:00", "2032-02-29 12:00", "2036-02-29 12:00"));
  // Across 2100, which is no leap year.
  EXPECT_THAT(Fires("0 0 29 FEB *", "2096-03-01 00:00", 1), ElementsAre("2104-02-29 00:00"));
  // From the day after one, the next is four years on.
  EXPECT_THAT(Fires("0 0 29 2 *", "2028-03-01 00:00", 1), ElementsAre("2032-02-29 00:00"));
}

TEST_F(CronNextTest, DayOfMonthOrDayOfWeekWhenBothRestricted) {
  // The 13th or any Friday: Fridays 4 and 11 December 2026, Sunday the 13th, Friday the 18th.
  EXPECT_THAT(Fires("0 0 13 * 5", "2026-12-01 00:00", 4),
              ElementsAre("2026-12-04 00:00", "2026-12-11 00:00", "2026-12-13 00:00", "2026-12-18 00:00"));
  // A field starting with '*' makes it AND: days 1, 14, 27 that are Fridays -> 1 January 2027.
  EXPECT_THAT(Fires("0 0 */13 * 5", "2026-12-01 00:00", 1), ElementsAre("2027-01-01 00:00"));
  EXPECT_THAT(Fires("0 0 13 * *", "2026-12-01 00:00", 2),
              ElementsAre("2026-12-13 00:00", "2027-01-13 00:00"));
}

TEST_F(CronNextTest, LastMinuteOfYear) {
  EXPECT_THAT(Fires("59 23 31 12 *", "2026-12-31 23:59", 1), ElementsAre("2027-12-31 23:59"));
}

TEST(CronDstTest, NewYorkSpringForwardFiresOnceAtTheJump) {
  ScopedTimeZone tz("America/New_York");
  // 2026-03-08 02:00 EST (07:00 UTC) jumps to 03:00 EDT: 02:30 does not exist.
  EXPECT_THAT(Fires("30 2 * * *", "2026-03-08 05:00", 2),
              ElementsAre("2026-03-08 07:00", "2026-03-09 06:30"));
  // Four skipped times, one fire; 03:00 right after is the same instant.
  EXPECT_THAT(Fires("*/15 2 * * *", "2026-03-08 05:00", 2),
              ElementsAre("2026-03-08 07:00", "2026-03-09 06:00"));
  EXPECT_THAT(Fires("0 2,3 * * *", "2026-03-08 05:00", 2),
              ElementsAre("2026-03-08 07:00", "2026-03-09 06:00"));
  // The hours around it are untouched.
  EXPECT_THAT(Fires("0 * * * *", "2026-03-08 05:30", 3),
              ElementsAre("2026-03-08 06:00", "2026-03-08 07:00", "2026-03-08 08:00"));
}

TEST(CronDstTest, NewYorkFallBackFiresTheFirstOccurrenceOnly) {
  ScopedTimeZone tz("America/New_York");
  // 2026-11-01 02:00 EDT (06:00 UTC) falls back to 01:00 EST: 01:30 is read twice.
  EXPECT_THAT(Fires("30 1 * * *", "2026-11-01 04:00", 2),
              ElementsAre("2026-11-01 05:30", "2026-11-02 06:30"));
  // Hourly: 00:30 EDT, 01:30 EDT, (01:30 EST skipped), 02:30 EST.
  EXPECT_THAT(Fires("30 * * * *", "2026-11-01 04:00", 3),
              ElementsAre("2026-11-01 04:30", "2026-11-01 05:30", "2026-11-01 07:30"));
  // Asked during the repeated hour, the first 01:30 has passed.
  EXPECT_THAT(Fires("30 1 * * *", "2026-11-01 06:10", 1), ElementsAre("2026-11-02 06:30"));
}

TEST(CronDstTest, BerlinBothWays) {
  ScopedTimeZone tz("Europe/Berlin");
  // 2026-03-29 02:00 CET (01:00 UTC) jumps to 03:00 CEST.
  EXPECT_THAT(Fires("30 2 * * *", "2026-03-28 23:00", 2),
              ElementsAre("2026-03-29 01:00", "2026-03-30 00:30"));
  // 2026-10-25 03:00 CEST (01:00 UTC) falls back to 02:00 CET.
  EXPECT_THAT(Fires("30 2 * * *", "2026-10-24 23:00", 2),
              ElementsAre("2026-10-25 00:30", "2026-10-26 01:30"));
  EXPECT_THAT(Fires("0 12 * * *", "2026-10-24 23:00", 2),
              ElementsAre("2026-10-25 11:00", "2026-10-26 11:00"));
}

}  // namespace
}  // namespace mlpipe::spec
