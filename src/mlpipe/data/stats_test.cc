#include "mlpipe/data/stats.h"

#include <gtest/gtest.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/test_data.h"

namespace mlpipe::data {
namespace {

TEST(StatsTest, NumericSummaryQuantilesAndHistogram) {
  auto t = ReadCsvString("x\n1\n2\n3\n4\n\n5\nNA\n");
  ASSERT_TRUE(t.ok());
  ColumnStats s = ComputeColumnStats(t->column(0), StatsOptions{4, 1000});
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.missing, 2u);  // a blank line in a 1-column file is a missing value
  EXPECT_NEAR(s.missing_rate, 2.0 / 7, 1e-12);
  EXPECT_DOUBLE_EQ(s.numeric.mean, 3);
  EXPECT_DOUBLE_EQ(s.numeric.std, std::sqrt(2.0));
  EXPECT_EQ(s.numeric.min, 1);
  EXPECT_EQ(s.numeric.max, 5);
  EXPECT_DOUBLE_EQ(s.numeric.quantiles[3], 3);     // p50
  EXPECT_DOUBLE_EQ(s.numeric.quantiles[2], 2);     // p25
  EXPECT_DOUBLE_EQ(s.numeric.quantiles[0], 1.04);  // p01, numpy linear
  EXPECT_EQ(s.numeric.histogram.edges, (std::vector<double>{1, 2, 3, 4, 5}));
  EXPECT_EQ(s.numeric.histogram.counts, (std::vector<uint64_t>{1, 1, 1, 2}));  // max in last bin
}

TEST(StatsTest, CategoricalTopCategoriesAreCapped) {
  auto t = ReadCsv(testing::SharedData("lending_club.csv"));
  ASSERT_TRUE(t.ok());
  StatsOptions o;
  o.max_top_categories = 10;
  TableStats s = ComputeStats(*t, o);
  const ColumnStats* st = s.Find("addr_state");
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->categorical.distinct, 50u);
  ASSERT_EQ(st->categorical.top.size(), 10u);
  uint64_t sum = st->categorical.other_count;
  for (size_t i = 0; i < st->categorical.top.size(); ++i) {
    sum += st->categorical.top[i].second;
    if (i > 0) {
      EXPECT_GE(st->categorical.top[i - 1].second, st->categorical.top[i].second);
    }
  }
  EXPECT_EQ(sum, 9857u);
  EXPECT_EQ(st->categorical.top[0].first, "CA");
}

TEST(StatsTest, JsonRoundTrip) {
  auto t = ReadCsv(testing::SharedData("chicago_ridership.csv"));
  ASSERT_TRUE(t.ok());
  TableStats s = ComputeStats(*t);
  const testing::TempDir tmp("data");
  std::string path = tmp.Sub("stats.json");
  ASSERT_TRUE(SaveStats(s, path).ok());
  auto back = LoadStats(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(StatsToJson(*back), StatsToJson(s));
  EXPECT_EQ(back->Find("date")->type, ColumnType::kDate);
  EXPECT_EQ(back->Find("ridership")->numeric.histogram.counts.size(), 20u);
  EXPECT_EQ(StatsFromJson(nlohmann::json{{"format", "mlpipe.stats"}}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlpipe::data
