#include "mlpipe/data/table.h"

#include <gtest/gtest.h>

namespace mlpipe::data {
namespace {

Table Small() {
  Table t;
  Column x("x", ColumnType::kNumeric);
  Column c("c", ColumnType::kCategorical);
  for (int i = 0; i < 5; ++i) {
    x.AppendNumber(i * 1.5);
    c.AppendString(i % 2 == 0 ? "even" : "odd");
  }
  c.AppendMissing();
  x.AppendMissing();
  EXPECT_TRUE(t.AddColumn(std::move(x)).ok());
  EXPECT_TRUE(t.AddColumn(std::move(c)).ok());
  return t;
}

TEST(TableTest, InternsCategoriesAndTracksMissing) {
  Table t = Small();
  ASSERT_EQ(t.num_rows(), 6u);
  const Column& c = *t.Find("c");
  EXPECT_EQ(c.dictionary().size(), 2u);
  EXPECT_EQ(c.str(1), "odd");
  EXPECT_EQ(c.code(0), c.code(2));
  EXPECT_TRUE(c.IsMissing(5));
  EXPECT_EQ(c.MissingCount(), 1u);
  EXPECT_EQ(t.Find("x")->MissingCount(), 1u);
  EXPECT_EQ(t.Find("x")->ValueToString(1), "1.5");
  EXPECT_EQ(t.Find("x")->ValueToString(5), "");
}

TEST(TableTest, LookupByNameSuggestsCloseName) {
  Table t = Small();
  EXPECT_EQ(*t.IndexOf("c"), 1u);
  auto missing = t.IndexOf("xx");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("did you mean 'x'"), std::string::npos);
}

TEST(TableTest, RejectsDuplicateNameAndWrongLength) {
  Table t = Small();
  Column dup("x", ColumnType::kNumeric);
  for (int i = 0; i < 6; ++i) dup.AppendNumber(0);
  EXPECT_EQ(t.AddColumn(dup).code(), StatusCode::kInvalidArgument);
  Column shorter("y", ColumnType::kNumeric);
  shorter.AppendNumber(1);
  EXPECT_EQ(t.AddColumn(shorter).code(), StatusCode::kInvalidArgument);
}

TEST(TableTest, RemovingAColumnKeepsLookupsOfTheOthersRight) {
  Table t = Small();
  const size_t n = t.num_columns();
  const std::string first = t.column(0).name(), last = t.column(n - 1).name();
  ASSERT_TRUE(t.RemoveColumn(first).ok());
  EXPECT_EQ(t.Find(first), nullptr);
  EXPECT_EQ(*t.IndexOf(last), n - 2);
  EXPECT_EQ(t.Find(last)->name(), last);
  Table taken = t.Take({0});
  EXPECT_EQ(*taken.IndexOf(last), n - 2);
}

TEST(TableTest, TakeSelectsRowsInGivenOrder) {
  Table t = Small();
  Table s = t.Take({4, 0, 1});
  ASSERT_EQ(s.num_rows(), 3u);
  EXPECT_EQ(s.Find("x")->number(0), 6.0);
  EXPECT_EQ(s.Find("c")->str(0), "even");
  EXPECT_EQ(s.Find("c")->str(2), "odd");
}

TEST(TableTest, AppendRemapsCategories) {
  Table a = Small();
  Table b;
  Column x("x", ColumnType::kNumeric);
  Column c("c", ColumnType::kCategorical);
  x.AppendNumber(100);
  c.AppendString("new");
  x.AppendNumber(101);
  c.AppendString("odd");
  ASSERT_TRUE(b.AddColumn(std::move(x)).ok());
  ASSERT_TRUE(b.AddColumn(std::move(c)).ok());
  ASSERT_TRUE(a.Append(b).ok());
  ASSERT_EQ(a.num_rows(), 8u);
  EXPECT_EQ(a.Find("c")->str(6), "new");
  EXPECT_EQ(a.Find("c")->str(7), "odd");
  EXPECT_EQ(a.Find("c")->code(7), a.Find("c")->code(1));
  EXPECT_EQ(a.Find("x")->number(7), 101);
}

TEST(TableTest, AppendRejectsDifferentColumns) {
  Table a = Small();
  Table b;
  Column x("x", ColumnType::kCategorical);
  Column c("c", ColumnType::kCategorical);
  ASSERT_TRUE(b.AddColumn(std::move(x)).ok());
  ASSERT_TRUE(b.AddColumn(std::move(c)).ok());
  EXPECT_EQ(a.Append(b).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.num_rows(), 6u);
}

}  // namespace
}  // namespace mlpipe::data
