// The control plane's tables on every backend (control_conformance.h):
// fires as a durable queue, trigger state, series with compaction, events in
// order, and a second connection (a restarted server) reading them back.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlpipe/metadata/control_conformance.h"

namespace mlpipe::metadata {
namespace {

class ControlStoreConformanceTest : public ControlBackendTest {
 protected:
  void SetUp() override {
    ControlBackendTest::SetUp();
    if (IsSkipped()) return;
    store_ = Open();
    ASSERT_NE(store_, nullptr);
  }
  // Another connection to the same database.
  std::unique_ptr<ControlStore> Open() {
    auto s = GetParam().control(where_);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  std::unique_ptr<ControlStore> store_;
};

TEST_P(ControlStoreConformanceTest, FiresRoundTripAndListByStateNewestFirst) {
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

TEST_P(ControlStoreConformanceTest, ForcedFiresDoNotCountAgainstTheBrakes) {
  TriggerFire f{.pipeline = "loans",
                .trigger_id = "api",
                .state = FireState::kFinished,
                .started_ns = 5,
                .force = true};
  ASSERT_TRUE(store_->RecordFire(f).ok());
  EXPECT_EQ(*store_->CountStartedSince("loans", 0), 0);
  EXPECT_EQ(*store_->LastStartNs("loans"), 0);
}

TEST_P(ControlStoreConformanceTest, TriggerStateIsReplacedNotDuplicated) {
  EXPECT_FALSE(store_->GetTriggerState("p", "on_change#1", "data/a.csv")->has_value());
  ASSERT_TRUE(store_->SetTriggerState("p", "on_change#1", "data/a.csv", "sha256:aa", 1).ok());
  ASSERT_TRUE(store_->SetTriggerState("p", "on_change#1", "data/a.csv", "sha256:bb", 2).ok());
  EXPECT_EQ(**store_->GetTriggerState("p", "on_change#1", "data/a.csv"), "sha256:bb");
}

TEST_P(ControlStoreConformanceTest, SeriesQueryAndCompactionKeepsTheMeanPerBucket) {
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

TEST_P(ControlStoreConformanceTest, EventsComeBackInOrderAfterAnId) {
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

TEST_P(ControlStoreConformanceTest, EventsWithTheirOwnIdsAndWithoutOneNeverCollide) {
  // The server's event bus numbers its events; a later event stored without
  // an id comes after the highest.
  auto given = store_->AppendEvents({{41, 1, "server.started", "", std::nullopt, "{}"},
                                     {42, 2, "trigger.fired", "p", std::nullopt, "{}"}});
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  EXPECT_EQ(*given, (std::vector<int64_t>{41, 42}));
  auto next = store_->AppendEvents({{0, 3, "run.started", "p", 7, "{}"}});
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_GT((*next)[0], 42);
  EXPECT_EQ(*store_->LastEventId(), (*next)[0]);
  auto all = store_->EventsAfter(0, 0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[2].run_id, 7);
  EXPECT_FALSE((*all)[0].run_id.has_value());
}

TEST_P(ControlStoreConformanceTest, LatestPointsAndCountsAreSortedAndPerLabelSet) {
  ASSERT_TRUE(store_
                  ->AppendSeries({{"m", "a=\"2\"", 10, 1.0},
                                  {"m", "a=\"1\"", 10, 2.0},
                                  {"m", "a=\"1\"", 20, 3.5},
                                  {"other", "", 30, 9.0}})
                  .ok());
  auto latest = store_->LatestPoints("m");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  ASSERT_EQ(latest->size(), 2u);
  EXPECT_EQ((*latest)[0].labels, "a=\"1\"");
  EXPECT_EQ((*latest)[0].time_ns, 20);
  EXPECT_DOUBLE_EQ((*latest)[0].value, 3.5);
  EXPECT_EQ((*latest)[1].labels, "a=\"2\"");
  for (const char* pipeline : {"b", "a", "b"}) {
    ASSERT_TRUE(store_->RecordFire({.pipeline = pipeline, .trigger_id = "api"}).ok());
  }
  ASSERT_TRUE(store_->RecordFire({.pipeline = "a", .trigger_id = "api", .state = FireState::kSkipped}).ok());
  auto counts = store_->FireCounts();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  std::vector<std::string> rows;
  for (const auto& c : *counts) rows.push_back(fmt::format("{} {} {}", c.pipeline, c.state, c.count));
  EXPECT_EQ(rows, (std::vector<std::string>{"a queued 1", "a skipped 1", "b queued 2"}));
  auto runs = store_->RunCounts();
  ASSERT_TRUE(runs.ok()) << runs.status().ToString();
  EXPECT_TRUE(runs->empty());
}

TEST_P(ControlStoreConformanceTest, AnotherConnectionReadsTheQueueBackAndARolledBackFireIsGone) {
  // What a restarted server (a new connection) finds: the fires recorded
  // before, in their states, and the trigger state; never a fire whose
  // transaction rolled back.
  auto queued = store_->RecordFire({.pipeline = "p", .trigger_id = "schedule#1", .reason = "cron"});
  ASSERT_TRUE(queued.ok());
  ASSERT_TRUE(store_->SetTriggerState("p", "schedule#1", "last_slot", "1700", 5).ok());
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->RecordFire({.pipeline = "p", .trigger_id = "api"}).ok());
  ASSERT_TRUE(store_->Rollback().ok());
  store_.reset();
  auto again = Open();
  ASSERT_NE(again, nullptr);
  auto fires = again->ListFires({.states = {FireState::kQueued}});
  ASSERT_TRUE(fires.ok()) << fires.status().ToString();
  ASSERT_EQ(fires->size(), 1u);
  EXPECT_EQ((*fires)[0].id, *queued);
  EXPECT_EQ((*fires)[0].reason, "cron");
  EXPECT_EQ(**again->GetTriggerState("p", "schedule#1", "last_slot"), "1700");
}

TEST_P(ControlStoreConformanceTest, AFireKeepsEveryField) {
  TriggerFire f{.pipeline = "loans",
                .trigger_id = "api",
                .reason = "manual",
                .fired_ns = 11,
                .state = FireState::kInterrupted,
                .detail = "server stopped",
                .run_id = 5,
                .started_ns = 12,
                .ended_ns = 13,
                .force = true,
                .resume_run = 4,
                .params = R"({"seed":7})"};
  auto id = store_->RecordFire(f);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto got = store_->GetFire(*id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->fired_ns, 11);
  EXPECT_EQ(got->state, FireState::kInterrupted);
  EXPECT_EQ(got->detail, "server stopped");
  EXPECT_EQ(got->run_id, 5);
  EXPECT_EQ(got->started_ns, 12);
  EXPECT_EQ(got->ended_ns, 13);
  EXPECT_TRUE(got->force);
  EXPECT_EQ(got->resume_run, 4);
  EXPECT_EQ(got->params, R"({"seed":7})");
  EXPECT_EQ(store_->GetFire(999).status().code(), StatusCode::kNotFound);
  // Paging: before_id and limit.
  ASSERT_TRUE(store_->RecordFire({.pipeline = "loans", .trigger_id = "api"}).ok());
  auto page = store_->ListFires({.before_id = *id + 1, .limit = 1});
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].id, *id);
}

INSTANTIATE_TEST_SUITE_P(Backends, ControlStoreConformanceTest, ::testing::ValuesIn(ControlBackends()),
                         ControlBackendName);

}  // namespace
}  // namespace mlpipe::metadata
