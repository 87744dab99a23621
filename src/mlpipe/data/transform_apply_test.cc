// Transform::Apply on large tables runs in parallel row blocks; these tests
// hold it to the single-row path and to serial error order.
#include <gtest/gtest.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/test_data.h"
#include "mlpipe/data/transform.h"

namespace mlpipe::data {
namespace {

// Row r of `t` as the serving path receives it.
std::vector<std::pair<std::string, FieldValue>> RowOf(const Table& t, size_t r) {
  std::vector<std::pair<std::string, FieldValue>> row;
  for (const Column& c : t.columns()) {
    if (c.IsMissing(r)) {
      row.emplace_back(c.name(), std::monostate{});
    } else if (c.type() == ColumnType::kNumeric) {
      row.emplace_back(c.name(), c.number(r));
    } else {
      row.emplace_back(c.name(), c.ValueToString(r));
    }
  }
  return row;
}

TEST(TransformApplyTest, LargeTableMatchesRowByRowWithSameReport) {
  auto all = ReadCsv(testing::SharedData("lending_club.csv"));
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  // Fit on the first half with few categories, so the second half has
  // unknown categories and __other__ values; apply to the table twice over.
  std::vector<size_t> half;
  for (size_t i = 0; i < all->num_rows() / 2; ++i) half.push_back(i);
  TransformOptions o;
  o.target = "Class";
  o.max_categories = 0;
  auto t = Transform::Fit(all->Take(half), o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  Table big = *all;
  ASSERT_TRUE(big.Append(*all).ok());
  ApplyReport report;
  auto fm = t->Apply(big, &report);
  ASSERT_TRUE(fm.ok()) << fm.status().ToString();
  ASSERT_GT(fm->values.size(), size_t{1} << 18);  // large enough for the parallel path
  ApplyReport row_report;
  std::vector<float> out;
  for (size_t r = 0; r < big.num_rows(); ++r) {
    ASSERT_TRUE(t->ApplyRowInto(RowOf(big, r), &out, &row_report).ok());
    for (size_t c = 0; c < fm->cols; ++c) {
      float a = fm->at(r, c), b = out[c];
      ASSERT_TRUE(a == b || (std::isnan(a) && std::isnan(b))) << "row " << r << " " << fm->feature_names[c];
    }
  }
  EXPECT_EQ(report.unknown_categories, row_report.unknown_categories);
  EXPECT_EQ(report.imputed_values, row_report.imputed_values);
}

TEST(TransformApplyTest, ErrorIsFirstBadValueOfFirstColumnAsInASerialPass) {
  // Train: two numeric columns. Apply: both as text, column b bad early,
  // column a bad late (in another row block): a is reported, at its row.
  Table train;
  Column a("a", ColumnType::kNumeric), b("b", ColumnType::kNumeric);
  for (int i = 0; i < 10; ++i) {
    a.AppendNumber(i);
    b.AppendNumber(i);
  }
  ASSERT_TRUE(train.AddColumn(a).ok());
  ASSERT_TRUE(train.AddColumn(b).ok());
  auto t = Transform::Fit(train, {});
  ASSERT_TRUE(t.ok());
  const size_t n = 200000;
  Column ta("a", ColumnType::kCategorical), tb("b", ColumnType::kCategorical);
  for (size_t r = 0; r < n; ++r) {
    ta.AppendString(r == 150000 || r == 190000 ? "oops" : "1");
    tb.AppendString(r == 10 ? "bad" : "2");
  }
  Table test;
  ASSERT_TRUE(test.AddColumn(ta).ok());
  ASSERT_TRUE(test.AddColumn(tb).ok());
  auto fm = t->Apply(test);
  ASSERT_FALSE(fm.ok());
  EXPECT_EQ(fm.status().message(), "column 'a' row 150001: 'oops' is not a number");
}

}  // namespace
}  // namespace mlpipe::data
