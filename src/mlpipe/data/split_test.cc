#include "mlpipe/data/split.h"

#include <cmath>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/test_data.h"

namespace mlpipe::data {
namespace {

Table Load(const char* file) {
  auto t = ReadCsv(testing::SharedData(file));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return std::move(t).value();
}

void ExpectPartition(const SplitIndices& s, size_t n) {
  std::set<size_t> all;
  for (const auto* part : {&s.train, &s.validation, &s.test}) {
    for (size_t i : *part) EXPECT_TRUE(all.insert(i).second) << "row " << i << " twice";
  }
  EXPECT_EQ(all.size(), n);
}

TEST(SplitTest, RandomSizesMatchScikitLearnAndPartitionRows) {
  Table t = Load("breast_cancer.csv");
  SplitOptions o;
  auto s = SplitRows(t, o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->test.size(), 114u);  // ceil(0.2 * 569), as the baselines
  EXPECT_EQ(s->train.size(), 455u);
  ExpectPartition(*s, t.num_rows());
  EXPECT_TRUE(std::is_sorted(s->train.begin(), s->train.end()));
}

TEST(SplitTest, SameSeedSameSplitDifferentSeedDifferentSplit) {
  Table t = Load("iris.csv");
  SplitOptions o;
  o.seed = 7;
  auto a = SplitRows(t, o);
  auto b = SplitRows(t, o);
  o.seed = 8;
  auto c = SplitRows(t, o);
  EXPECT_EQ(a->test, b->test);
  EXPECT_NE(a->test, c->test);
}

TEST(SplitTest, ShuffleIsPinnedAcrossPlatforms) {
  // Our own Fisher-Yates over mt19937_64 raw output: this exact order is part
  // of the reproducibility contract (a change here changes every split).
  std::vector<size_t> v = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  ShuffleIndices(&v, 42);
  std::vector<size_t> again = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  ShuffleIndices(&again, 42);
  EXPECT_EQ(v, again);
  std::set<size_t> uniq(v.begin(), v.end());
  EXPECT_EQ(uniq.size(), 10u);
  EXPECT_NE(v, (std::vector<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(SplitTest, StratifiedKeepsClassRates) {
  Table t = Load("lending_club.csv");  // 5 % "bad"
  SplitOptions o;
  o.method = SplitMethod::kStratified;
  o.column = "Class";
  o.validation_fraction = 0.1;
  auto s = SplitRows(t, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ExpectPartition(*s, t.num_rows());
  EXPECT_EQ(s->test.size(), 1972u);  // ceil(0.2 * 9857), as the baselines
  EXPECT_EQ(s->validation.size(), 986u);
  const Column& c = *t.Find("Class");
  auto bad = [&](const std::vector<size_t>& rows) {
    size_t k = 0;
    for (size_t r : rows) k += c.str(r) == "bad" ? 1 : 0;
    return k;
  };
  size_t total_bad = bad(s->train) + bad(s->validation) + bad(s->test);
  double rate = static_cast<double>(total_bad) / t.num_rows();
  for (const auto* part : {&s->train, &s->validation, &s->test}) {
    double expected = rate * part->size();
    EXPECT_LE(std::fabs(bad(*part) - expected), 1.0) << part->size();
  }
}

TEST(SplitTest, TimeSplitPutsOldestRowsInTrain) {
  Table t = Load("chicago_ridership.csv");
  SplitOptions o;
  o.method = SplitMethod::kTime;
  o.column = "date";
  auto s = SplitRows(t, o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->test.size(), 1140u);  // as the baselines' temporal80/20
  const Column& d = *t.Find("date");
  int32_t newest_train = INT32_MIN, oldest_test = INT32_MAX;
  for (size_t r : s->train) newest_train = std::max(newest_train, d.day(r));
  for (size_t r : s->test) oldest_test = std::min(oldest_test, d.day(r));
  EXPECT_LE(newest_train, oldest_test);
  Table arrests = Load("arrests.csv");
  o.column = "year";
  auto a = SplitRows(arrests, o);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->train.size(), 4181u);  // as the baselines
  EXPECT_EQ(a->test.size(), 1045u);
}

TEST(SplitTest, RejectsBadOptions) {
  Table t = Load("iris.csv");
  SplitOptions o;
  o.test_fraction = 1.2;
  EXPECT_EQ(SplitRows(t, o).status().code(), StatusCode::kInvalidArgument);
  o.test_fraction = 0.2;
  o.method = SplitMethod::kStratified;
  o.column = "specie";
  auto s = SplitRows(t, o);
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_NE(s.status().message().find("did you mean 'species'"), std::string::npos);
  auto tiny = ReadCsvString("x\n1\n");
  EXPECT_EQ(SplitRows(*tiny, SplitOptions{}).status().code(), StatusCode::kInvalidArgument);
}

TEST(SplitTest, SplitTableTakesRows) {
  Table t = Load("iris.csv");
  SplitOptions o;
  o.method = SplitMethod::kStratified;
  o.column = "species";
  auto s = SplitTable(t, o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->train.num_rows(), 120u);
  EXPECT_EQ(s->test.num_rows(), 30u);
  EXPECT_EQ(s->validation.num_rows(), 0u);
  std::map<std::string, int> per_class;
  for (size_t r = 0; r < 30; ++r) ++per_class[std::string(s->test.Find("species")->str(r))];
  for (const auto& [k, n] : per_class) EXPECT_EQ(n, 10) << k;
}

}  // namespace
}  // namespace mlpipe::data
