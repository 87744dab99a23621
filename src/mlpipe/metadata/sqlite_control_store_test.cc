// The control plane's tables: fires as a durable queue, trigger state,
// series with compaction, events in order.
#include "mlpipe/metadata/sqlite_control_store.h"

#include <gtest/gtest.h>

#include "mlpipe/base/testing/temp_dir.h"

namespace mlpipe::metadata {
namespace {

class SqliteControlStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = SqliteControlStore::Open(tmp_.Sub("metadata.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  mlpipe::testing::TempDir tmp_{"control"};
  std::unique_ptr<SqliteControlStore> store_;
};

TEST_F(SqliteControlStoreTest, FiresRoundTripAndListByStateNewestFirst) {
  TriggerFire f{.pipeline = "loans",
                .trigger_id = "retrain",
                .reason = "webhook retrain from 127.0.0.1",
                .fired_ns = 10};
  auto a = store_->RecordFire(f);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  f.trigger_id = "schedule#1";
  auto b = store_->RecordFire(f);
  ASSERT_TRUE(b.ok());
  auto got = store_->GetFire(*a);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->reason, "webhook retrain from 127.0.0.1");
  EXPECT_EQ(got->state, FireState::kQueued);
  EXPECT_FALSE(got->run_id.has_value());
  got->state = FireState::kStarted;
  got->started_ns = 100;
  got->run_id = 7;
  ASSERT_TRUE(store_->UpdateFire(*got).ok());
  auto queued = store_->ListFires({.states = {FireState::kQueued}});
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ((*queued)[0].id, *b);
  auto all = store_->ListFires({.pipeline = "loans"});
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, *b);  // newest first
  EXPECT_EQ((*all)[1].run_id, 7);
  EXPECT_EQ(*store_->CountStartedSince("loans", 50), 1);
  EXPECT_EQ(*store_->CountStartedSince("loans", 101), 0);
  EXPECT_EQ(*store_->LastStartNs("loans"), 100);
  EXPECT_EQ(*store_->LastStartNs("other"), 0);
  TriggerFire missing;
  missing.id = 999;
  EXPECT_EQ(store_->UpdateFire(missing).code(), StatusCode::kNotFound);
}

TEST_F(SqliteControlStoreTest, ForcedFiresDoNotCountAgainstTheBrakes) {
  TriggerFire f{.pipeline = "loans",
                .trigger_id = "api",
                .state = FireState::kFinished,
                .started_ns = 5,
                .force = true};
  ASSERT_TRUE(store_->RecordFire(f).ok());
  EXPECT_EQ(*store_->CountStartedSince("loans", 0), 0);
  EXPECT_EQ(*store_->LastStartNs("loans"), 0);
}

TEST_F(SqliteControlStoreTest, TriggerStateIsReplacedNotDuplicated) {
  EXPECT_FALSE(store_->GetTriggerState("p", "on_change#1", "data/a.csv")->has_value());
  ASSERT_TRUE(store_->SetTriggerState("p", "on_change#1", "data/a.csv", "sha256:aa", 1).ok());
  ASSERT_TRUE(store_->SetTriggerState("p", "on_change#1", "data/a.csv", "sha256:bb", 2).ok());
  EXPECT_EQ(**store_->GetTriggerState("p", "on_change#1", "data/a.csv"), "sha256:bb");
}

TEST_F(SqliteControlStoreTest, SeriesQueryAndCompactionKeepsTheMeanPerBucket) {
  std::vector<SeriesPoint> pts;
  for (int i = 0; i < 10; ++i)
    pts.push_back({"mlpipe_run_duration_seconds", "pipeline=\"p\"", i * 10, i * 1.0});
  pts.push_back({"mlpipe_run_duration_seconds", "pipeline=\"q\"", 5, 42});
  ASSERT_TRUE(store_->AppendSeries(pts).ok());
  auto p = store_->QuerySeries("mlpipe_run_duration_seconds", std::string("pipeline=\"p\""), 0, 1000);
  ASSERT_EQ(p->size(), 10u);
  auto any = store_->QuerySeries("mlpipe_run_duration_seconds", std::nullopt, 0, 1000);
  EXPECT_EQ(any->size(), 11u);
  // Points before 50 become one per 50 ns bucket (0..40 -> mean 2 at 0);
  // nothing is dropped.
  auto removed = store_->CompactSeries(50, 50, 0);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 4);
  p = store_->QuerySeries("mlpipe_run_duration_seconds", std::string("pipeline=\"p\""), 0, 1000);
  ASSERT_EQ(p->size(), 6u);
  EXPECT_EQ((*p)[0].time_ns, 0);
  EXPECT_DOUBLE_EQ((*p)[0].value, 2.0);
  EXPECT_EQ((*p)[1].time_ns, 50);
  // Dropping the old ones.
  ASSERT_TRUE(store_->CompactSeries(50, 50, 60).ok());
  EXPECT_EQ(store_->QuerySeries("mlpipe_run_duration_seconds", std::nullopt, 0, 1000)->size(), 4u);
}

TEST_F(SqliteControlStoreTest, EventsComeBackInOrderAfterAnId) {
  std::vector<ServerEvent> events;
  for (int i = 0; i < 5; ++i)
    events.push_back({0, i, "step.finished", "p", 1, "{\"i\":" + std::to_string(i) + "}"});
  auto ids = store_->AppendEvents(events);
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 5u);
  EXPECT_LT((*ids)[0], (*ids)[4]);
  auto after = store_->EventsAfter((*ids)[1], 10);
  ASSERT_EQ(after->size(), 3u);
  EXPECT_EQ((*after)[0].data, "{\"i\":2}");
  EXPECT_EQ(*store_->LastEventId(), (*ids)[4]);
}

}  // namespace
}  // namespace mlpipe::metadata
