// Calendar dates as whole days since 1970-01-01 (proleptic Gregorian), the
// representation of a `YYYY-MM-DD` value in a date column.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlpipe::data {

// Marks a missing date in a date column.
inline constexpr int32_t kMissingDay = INT32_MIN;

// Days since 1970-01-01 for a valid y-m-d (month 1..12, day within month).
int32_t DaysFromCivil(int year, unsigned month, unsigned day);

struct CivilDate {
  int year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};
CivilDate CivilFromDays(int32_t days);

// Parses exactly "YYYY-MM-DD" (10 characters, valid calendar date); nullopt
// otherwise. Cheap: no allocation.
std::optional<int32_t> ParseDate(std::string_view text);

// "YYYY-MM-DD" for a day number.
std::string FormatDate(int32_t days);

// 0 = Monday ... 6 = Sunday (the pandas convention).
int DayOfWeek(int32_t days);
// 1 = January 1st ... 366.
int DayOfYear(int32_t days);

}  // namespace mlpipe::data
