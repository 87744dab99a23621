#include "mlpipe/monitor/prediction_log_reader.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/monitor/log_time.h"
#include "mlpipe/serving/prediction_log.h"

namespace mlpipe::monitor {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
// 2026-12-06T23:59:00Z: a window across midnight reads two daily files.
constexpr int64_t kT0 = 1796601540 * kSecond;

LogWindowOptions Span(int64_t from_ns, int64_t to_ns) {
  LogWindowOptions o;
  o.from_ns = from_ns;
  o.to_ns = to_ns;
  return o;
}

// Writes the log with the server's own writer.
class PredictionLogReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = tmp_.Sub("serving/loans"); }

  // One request: rows of (int_rate, grade), classifier output p(bad).
  void Log(serving::PredictionLog& log, const std::string& id, int64_t time_ns, bool shadow,
           const std::vector<std::pair<double, std::string>>& rows, const std::string& variant = "main") {
    names_ = {"int_rate", "grade"};
    columns_.assign(2, {});
    predictions_.clear();
    for (const auto& [rate, grade] : rows) {
      columns_[0].push_back(rate);
      columns_[1].push_back(grade.empty() ? data::FieldValue() : data::FieldValue(grade));
      const float p = static_cast<float>(rate / 100);
      predictions_.push_back({p >= 0.5f ? "bad" : "good", {1 - p, p}, 0});
    }
    serving::PredictionRecord r;
    r.id = id;
    r.time_ns = time_ns;
    r.variant = variant;
    r.version = "4";
    r.shadow = shadow;
    r.input_names = names_;
    r.columns = columns_;
    r.predictions = predictions_;
    ASSERT_TRUE(log.Enqueue(r));
  }

  serving::PredictionLogOptions Options() {
    serving::PredictionLogOptions o;
    o.dir = dir_;
    o.deployment = "loans";
    return o;
  }

  mlpipe::testing::TempDir tmp_;
  std::string dir_;
  std::vector<std::string> names_;
  std::vector<std::vector<data::FieldValue>> columns_;
  std::vector<ml::RowPrediction> predictions_;
};

TEST_F(PredictionLogReaderTest, ReadsTheRowsOfAWindowAcrossDailyFiles) {
  {
    serving::PredictionLog log(Options());
    Log(log, "before", kT0 - 10 * kSecond, false, {{1, "A"}});
    Log(log, "r1", kT0, false, {{12.5, "B"}, {60, "C"}});
    Log(log, "shadow", kT0 + kSecond, true, {{13, "B"}});
    Log(log, "r2", kT0 + 120 * kSecond, false, {{7, ""}});  // the next day, grade missing
    Log(log, "after", kT0 + 300 * kSecond, false, {{2, "A"}});
    log.Flush();
  }
  LogWindowOptions o = Span(kT0, kT0 + 300 * kSecond);
  auto w = ReadPredictionWindow(dir_, o);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->counts.files, 2u);
  EXPECT_EQ(w->counts.out_of_window, 2u);
  EXPECT_EQ(w->counts.shadow, 1u);
  ASSERT_EQ(w->features.num_rows(), 3u);
  ASSERT_EQ(w->predictions.size(), 3u);
  const data::Column* rate = w->features.Find("int_rate");
  const data::Column* grade = w->features.Find("grade");
  ASSERT_NE(rate, nullptr);
  ASSERT_NE(grade, nullptr);
  EXPECT_EQ(rate->type(), data::ColumnType::kNumeric);
  EXPECT_EQ(grade->type(), data::ColumnType::kCategorical);
  EXPECT_EQ(rate->numbers(), (std::vector<double>{12.5, 60, 7}));
  EXPECT_EQ(grade->str(1), "C");
  EXPECT_TRUE(grade->IsMissing(2));
  EXPECT_EQ(w->predictions[1].id, "r1");
  EXPECT_EQ(w->predictions[1].row, 1u);
  EXPECT_EQ(w->predictions[1].label, "bad");
  ASSERT_EQ(w->predictions[1].probabilities.size(), 2u);
  EXPECT_NEAR(w->predictions[1].probabilities[1], 0.6, 1e-6);
  EXPECT_EQ(w->predictions[2].time_ns, kT0 + 120 * kSecond);

  o.include_shadow = true;
  auto with_shadow = ReadPredictionWindow(dir_, o);
  ASSERT_TRUE(with_shadow.ok());
  EXPECT_EQ(with_shadow->features.num_rows(), 4u);
  EXPECT_TRUE(with_shadow->predictions[2].shadow);
}

TEST_F(PredictionLogReaderTest, TornLastLineAndGarbageAreCountedNotFatal) {
  {
    serving::PredictionLog log(Options());
    Log(log, "r1", kT0, false, {{10, "A"}});
    Log(log, "r2", kT0 + kSecond, false, {{11, "B"}});
    log.Flush();
  }
  const std::string path = serving::DailyLogPath(dir_, "predictions", kT0);
  {
    std::ofstream out(path, std::ios::app);
    out << "not json\n";
    out << R"({"features":[{"int_rate":1}],"predictions":[],"time":"2026-12-06T23:59:30Z"})"
        << "\n";
    out << R"({"deployment":"loans","features":[{"int_rate":9)";  // a crash mid-line
  }
  LogWindowOptions o = Span(kT0, kT0 + 30 * kSecond + 1);
  auto w = ReadPredictionWindow(dir_, o);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->features.num_rows(), 2u);
  EXPECT_EQ(w->counts.unterminated, 1u);
  EXPECT_EQ(w->counts.malformed, 2u);
  ASSERT_EQ(w->counts.problems.size(), 2u);
  EXPECT_EQ(w->counts.problems[0], "predictions-20261206.jsonl:3: not a JSON object");
  EXPECT_NE(w->counts.problems[1].find(":4: \"features\" and \"predictions\""), std::string::npos);
}

TEST_F(PredictionLogReaderTest, TypesFollowTheReferenceAndVariantFilters) {
  {
    serving::PredictionLog log(Options());
    Log(log, "a", kT0, false, {{10, "1"}}, "main");
    Log(log, "b", kT0, false, {{20, "2"}}, "challenger");
    log.Flush();
  }
  LogWindowOptions o = Span(kT0, kT0 + kSecond);
  o.variant = "challenger";
  o.column_types = {{"grade", data::ColumnType::kNumeric}, {"int_rate", data::ColumnType::kCategorical}};
  auto w = ReadPredictionWindow(dir_, o);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->counts.other_variant, 1u);
  ASSERT_EQ(w->features.num_rows(), 1u);
  EXPECT_EQ(w->features.Find("grade")->number(0), 2.0);  // "2" read as a number
  EXPECT_EQ(w->features.Find("int_rate")->str(0), "20");
}

TEST_F(PredictionLogReaderTest, FeedbackLinesCarryTheirLabelsPerRow) {
  {
    serving::PredictionLog log(Options());
    serving::FeedbackRecord one{"r1", kT0, "main", "4", "bad", 1, 1};
    serving::FeedbackRecord two{"r2", kT0 + kSecond, "main", "4", nlohmann::json::array({"good", "bad"}), 1,
                                2};
    ASSERT_TRUE(log.Enqueue(one));
    ASSERT_TRUE(log.Enqueue(two));
    log.Flush();
  }
  LogWindowOptions o = Span(kT0, kT0 + 2 * kSecond);
  auto f = ReadFeedbackWindow(dir_, o);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ASSERT_EQ(f->entries.size(), 2u);
  EXPECT_EQ(f->entries[0].labels, std::vector<nlohmann::json>{"bad"});
  EXPECT_EQ(f->entries[1].labels.size(), 2u);
  EXPECT_EQ(f->entries[1].id, "r2");
}

TEST_F(PredictionLogReaderTest, BadArgumentsAreClearErrors) {
  LogWindowOptions o = Span(kT0, kT0 + kSecond);
  auto missing = ReadPredictionWindow(tmp_.Sub("nowhere"), o);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  std::filesystem::create_directories(dir_);
  o.to_ns = kT0;
  auto empty = ReadPredictionWindow(dir_, o);
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST(LogTimeTest, ParsesTheLogsTimeStamps) {
  EXPECT_EQ(ParseUtcTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseUtcTime("2026-12-06T23:59:00.000250Z"), kT0 + 250'000);
  EXPECT_EQ(ParseUtcTime("2026-12-06T23:59:00+00:00"), kT0);
  EXPECT_EQ(ParseUtcTime("2026-12-06T23:59:00+01:00"), std::nullopt);
  EXPECT_EQ(ParseUtcTime("2026-12-06 23:59:00Z"), std::nullopt);
  EXPECT_EQ(ParseUtcTime("2026-13-06T23:59:00Z"), std::nullopt);
  EXPECT_EQ(ParseUtcTime("2026-12-06T23:59:00.Z"), std::nullopt);
}

}  // namespace
}  // namespace mlpipe::monitor
