#include "mlpipe/data/date.h"

#include <gtest/gtest.h>

namespace mlpipe::data {
namespace {

TEST(DateTest, ParsesAndFormatsRoundTrip) {
  EXPECT_EQ(ParseDate("1970-01-01"), 0);
  EXPECT_EQ(ParseDate("1970-01-02"), 1);
  EXPECT_EQ(ParseDate("1969-12-31"), -1);
  for (int32_t d : {-700000, -1, 0, 11000, 17000, 2900000}) {
    EXPECT_EQ(ParseDate(FormatDate(d)), d) << FormatDate(d);
  }
  EXPECT_EQ(FormatDate(*ParseDate("2016-08-28")), "2016-08-28");
}

TEST(DateTest, RejectsInvalidDates) {
  EXPECT_FALSE(ParseDate("2001-02-29"));
  EXPECT_TRUE(ParseDate("2000-02-29"));
  EXPECT_FALSE(ParseDate("1900-02-29"));
  EXPECT_FALSE(ParseDate("2001-13-01"));
  EXPECT_FALSE(ParseDate("2001-00-10"));
  EXPECT_FALSE(ParseDate("2001-1-10"));
  EXPECT_FALSE(ParseDate("2001-01-1x"));
  EXPECT_FALSE(ParseDate("20010110"));
  EXPECT_FALSE(ParseDate(""));
}

TEST(DateTest, DayOfWeekAndYear) {
  EXPECT_EQ(DayOfWeek(*ParseDate("2001-01-22")), 0);  // a Monday
  EXPECT_EQ(DayOfWeek(*ParseDate("2016-08-28")), 6);  // a Sunday
  EXPECT_EQ(DayOfWeek(*ParseDate("1969-12-31")), 2);  // a Wednesday
  EXPECT_EQ(DayOfYear(*ParseDate("2016-01-01")), 1);
  EXPECT_EQ(DayOfYear(*ParseDate("2016-12-31")), 366);
  EXPECT_EQ(DayOfYear(*ParseDate("2015-03-01")), 60);
}

}  // namespace
}  // namespace mlpipe::data
