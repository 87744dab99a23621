#include "mlpipe/serving/prediction_log.h"

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "mlpipe/serving/test_fixture.h"

namespace mlpipe::serving {
namespace {

using namespace std::chrono_literals;

// What a record borrows; static so that records outlive the calls that make them.
const std::vector<std::string> kNames = {"x", "color", "when"};
const std::vector<std::vector<data::FieldValue>> kColumns = {{1.5}, {std::string("r\"ed")}, {data::FieldValue()}};
const std::vector<ml::RowPrediction> kPredictions = {{"yes", {0.25f, 0.75f}, 0}};

PredictionRecord Record(const std::string& id) {
  static std::deque<std::string> ids;  // stable addresses
  ids.push_back(id);
  PredictionRecord r;
  r.id = ids.back();
  r.time_ns = 1'700'000'000'000'000'000;
  r.variant = "a";
  r.version = "3";
  r.latency_s = 0.00025;
  r.input_names = kNames;
  r.columns = kColumns;
  r.predictions = kPredictions;
  return r;
}

// Polls until `pred` holds, up to 10 s (generous: sanitizers on a busy machine).
template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

class PredictionLogTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TestDir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  PredictionLogOptions Options() {
    PredictionLogOptions o;
    o.dir = dir_ + "/log";
    o.deployment = "churn";
    return o;
  }
  std::string dir_;
};

TEST_F(PredictionLogTest, WritesOneJsonLinePerRecordWithFeaturesAndPrediction) {
  PredictionLog log(Options());
  ASSERT_TRUE(log.Enqueue(Record("r1")));
  log.Flush();
  EXPECT_EQ(log.written(), 1u);
  std::ifstream in(DailyLogPath(dir_ + "/log", "predictions", Record("r1").time_ns));
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["id"], "r1");
  EXPECT_EQ(j["deployment"], "churn");
  EXPECT_EQ(j["variant"], "a");
  EXPECT_EQ(j["version"], "3");
  EXPECT_EQ(j["shadow"], false);
  EXPECT_DOUBLE_EQ(j["latency_ms"].get<double>(), 0.25);
  EXPECT_EQ(j["time"], "2023-11-14T22:13:20.000000Z");
  EXPECT_EQ(j["features"][0]["x"], 1.5);
  EXPECT_EQ(j["features"][0]["color"], "r\"ed");
  EXPECT_TRUE(j["features"][0]["when"].is_null());
  EXPECT_EQ(j["predictions"][0]["label"], "yes");
  EXPECT_EQ(j["predictions"][0]["probabilities"][1].get<float>(), 0.75f);
}

TEST_F(PredictionLogTest, TheWriterWakesForABatchNotForEachRecord) {
  PredictionLogOptions o = Options();
  o.wake_batch = 3;
  o.write_interval_ns = 3600'000'000'000;  // never, within the test
  PredictionLog log(o);
  log.Enqueue(Record("r1"));
  log.Enqueue(Record("r2"));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(log.written(), 0u) << "woke for a record before the batch was full";
  log.Enqueue(Record("r3"));
  EXPECT_TRUE(Eventually([&] { return log.written() == 3; })) << log.written();
}

TEST_F(PredictionLogTest, TheWriterWakesOnItsIntervalWithoutFlush) {
  PredictionLogOptions o = Options();
  o.write_interval_ns = 20'000'000;
  PredictionLog log(o);
  log.Enqueue(Record("r1"));
  EXPECT_TRUE(Eventually([&] { return log.written() == 1; }));
}

TEST_F(PredictionLogTest, AnIdleWriterSleepsUntilARecordIsQueued) {
  PredictionLogOptions o = Options();
  o.write_interval_ns = 1'000'000;  // 1 ms: 200 wakeups in the sleep below if it ticked
  PredictionLog log(o);
  std::this_thread::sleep_for(200ms);
  EXPECT_LE(log.writer_wakeups(), 1u) << "the writer woke on a timer with nothing to write";
  log.Enqueue(Record("r1"));
  EXPECT_TRUE(Eventually([&] { return log.written() == 1; }));
  const uint64_t after_one = log.writer_wakeups();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(log.writer_wakeups(), after_one) << "the writer kept waking once the queue was empty";
}

TEST_F(PredictionLogTest, DestructionWritesWhatIsQueued) {
  PredictionLogOptions o = Options();
  o.write_interval_ns = 3600'000'000'000;
  {
    PredictionLog log(o);
    for (int i = 0; i < 5; ++i) log.Enqueue(Record("r" + std::to_string(i)));
  }
  std::ifstream in(DailyLogPath(dir_ + "/log", "predictions", Record("r1").time_ns));
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 5);
}

TEST_F(PredictionLogTest, LinesGoToTheFileOfTheirKindAndUtcDayInOrder) {
  PredictionLogOptions o = Options();
  o.write_interval_ns = 3600'000'000'000;
  PredictionLog log(o);
  const int64_t day = 86'400'000'000'000;
  PredictionRecord a = Record("a");
  a.time_ns = 20000 * day + day - 1;  // the last nanosecond of a day
  PredictionRecord b = Record("b");
  b.time_ns = 20000 * day + day;  // the next day
  FeedbackRecord f;
  f.id = "a";
  f.time_ns = a.time_ns;
  f.label = "yes";
  ASSERT_TRUE(log.Enqueue(a));
  ASSERT_TRUE(log.Enqueue(f));
  ASSERT_TRUE(log.Enqueue(b));
  ASSERT_TRUE(log.Enqueue(a));
  log.Flush();
  EXPECT_EQ(log.written(), 4u);
  auto ids = [&](const std::string& kind, int64_t t) {
    std::vector<std::string> out;
    std::ifstream in(DailyLogPath(dir_ + "/log", kind, t));
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line)["id"]);
    return out;
  };
  EXPECT_EQ(ids("predictions", a.time_ns), (std::vector<std::string>{"a", "a"}));
  EXPECT_EQ(ids("predictions", b.time_ns), (std::vector<std::string>{"b"}));
  EXPECT_EQ(ids("feedback", a.time_ns), (std::vector<std::string>{"a"}));
}

TEST_F(PredictionLogTest, AFullQueueDropsAndCountsRecords) {
  PredictionLogOptions o = Options();
  o.capacity = 2;
  o.wake_batch = 100;
  o.write_interval_ns = 3600'000'000'000;
  PredictionLog log(o);
  EXPECT_TRUE(log.Enqueue(Record("r1")));
  EXPECT_TRUE(log.Enqueue(Record("r2")));
  EXPECT_FALSE(log.Enqueue(Record("r3")));
  EXPECT_EQ(log.dropped(), 1u);
  log.Flush();
  EXPECT_EQ(log.written(), 2u);
  EXPECT_TRUE(log.Enqueue(Record("r4"))) << "room again once the writer took the batch";
}

}  // namespace
}  // namespace mlpipe::serving
