// The run queue with a fake launcher, over real SQLite stores: a
// challenger's fire (challenger_of:) comes with each fire of the pipeline it
// challenges, runs with that reason as its trigger, and is held by its own
// brakes, never the other pipeline's.
#include "mlpipe/server/run_queue.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <memory>
#include <utility>
#include <vector>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/metadata/sqlite_control_store.h"
#include "mlpipe/metadata/sqlite_store.h"
#include "mlpipe/server/trigger_engine.h"

namespace mlpipe::server {
namespace {

using metadata::FireState;

// 2026-12-07 10:00:00 UTC: mid-day, so the test's starts share a local day.
constexpr int64_t kQueueTestStart = 1'796'637'600LL * 1'000'000'000;

class RecordingLauncher : public RunLauncher {
 public:
  Status Launch(const LaunchRequest& request) override {
    launched.push_back(request);
    return OkStatus();
  }
  bool Signal(int64_t, int) override { return false; }
  std::vector<LaunchReport> TakeReports() override { return std::exchange(reports, {}); }
  int running() const override { return 0; }
  // Every child launched so far exits 0.
  void ExitAll() {
    for (const LaunchRequest& r : launched) {
      LaunchReport exited;
      exited.fire_id = r.fire_id;
      exited.exited = true;
      reports.push_back(exited);
    }
  }
  std::vector<LaunchRequest> launched;
  std::vector<LaunchReport> reports;
};

PipelineDef Def(const std::string& name, const std::string& challenger_of, int max_runs_per_day) {
  PipelineDef p;
  p.name = name;
  p.dir = "/proj";
  p.spec_path = "/proj/" + name + ".yaml";
  p.challenger_of = challenger_of;
  p.max_runs_per_day = max_runs_per_day;
  TriggerDef hook;
  hook.kind = TriggerDef::Kind::kWebhook;
  hook.id = "retrain";
  p.triggers.push_back(hook);
  return p;
}

// Both stores in one real SQLite file, a trigger engine and a run queue over
// the pipelines given to Start, on a fake clock, with a recording launcher.
class RunQueueTest : public ::testing::Test {
 protected:
  void Start(std::vector<PipelineDef> pipelines) {
    pipelines_ = std::move(pipelines);
    auto control = metadata::SqliteControlStore::Open(tmp_.Sub("metadata.db"));
    ASSERT_TRUE(control.ok()) << control.status().ToString();
    control_ = std::move(*control);
    auto db = metadata::SqliteStore::Open(tmp_.Sub("metadata.db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    engine_ = std::make_unique<TriggerEngine>(pipelines_, *control_, probes_, clock_);
    ASSERT_TRUE(engine_->Start().ok());
    queue_ = std::make_unique<RunQueue>(pipelines_, *control_, *db_, launcher_, bus_, clock_, "");
  }

  mlpipe::testing::TempDir tmp_{"run-queue"};
  FakeClock clock_{kQueueTestStart};
  FakeTriggerProbes probes_;
  RecordingLauncher launcher_;
  EventBus bus_{0};
  std::vector<PipelineDef> pipelines_;
  std::unique_ptr<metadata::SqliteControlStore> control_;
  std::unique_ptr<metadata::SqliteStore> db_;
  std::unique_ptr<TriggerEngine> engine_;
  std::unique_ptr<RunQueue> queue_;
};

TEST_F(RunQueueTest, AChallengersFireRunsWithItsReasonUnderItsOwnBrakes) {
  setenv("TZ", "UTC", 1);
  tzset();
  ASSERT_NO_FATAL_FAILURE(Start({Def("loans", "", 0), Def("loans_xgb", "loans", 1)}));

  auto first = engine_->Webhook("loans", "retrain", "127.0.0.1", false);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(queue_->Step().ok());
  ASSERT_EQ(launcher_.launched.size(), 2u);
  EXPECT_EQ(launcher_.launched[0].spec_path, "/proj/loans.yaml");
  EXPECT_EQ(launcher_.launched[1].spec_path, "/proj/loans_xgb.yaml");
  EXPECT_EQ(launcher_.launched[1].trigger,
            fmt::format("challenger_of loans: fire {} (webhook retrain from 127.0.0.1)", *first));
  launcher_.ExitAll();
  clock_.Advance(60'000'000'000);
  ASSERT_TRUE(queue_->Step().ok());

  // The next fire of loans runs loans again; the challenger has had its one
  // run of the day (max_runs_per_day: 1): skipped, and says why.
  auto second = engine_->Webhook("loans", "retrain", "127.0.0.1", false);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(queue_->Step().ok());
  ASSERT_EQ(launcher_.launched.size(), 3u);
  EXPECT_EQ(launcher_.launched[2].spec_path, "/proj/loans.yaml");
  auto fires = control_->ListFires({.pipeline = "loans_xgb", .states = {}, .before_id = 0, .limit = 0});
  ASSERT_TRUE(fires.ok());
  ASSERT_EQ(fires->size(), 2u);
  EXPECT_EQ((*fires)[0].state, FireState::kSkipped);
  EXPECT_EQ((*fires)[0].detail, "max_runs_per_day 1 reached today (force=true runs anyway)");
  EXPECT_EQ((*fires)[1].state, FireState::kFinished);
}

// The retraining-duration series counts runs that ended on their own: a
// cancelled run's wall time is how long it ran before it was stopped.
TEST_F(RunQueueTest, ACancelledRunAddsNoRunDurationPoint) {
  ASSERT_NO_FATAL_FAILURE(Start({Def("loans", "", 0)}));
  // Each fire's child records its run (as `mlpipe run --trigger` does) and exits.
  for (const metadata::RunStatus status :
       {metadata::RunStatus::kCancelled, metadata::RunStatus::kSucceeded}) {
    ASSERT_TRUE(engine_->Webhook("loans", "retrain", "127.0.0.1", false).ok());
    ASSERT_TRUE(queue_->Step().ok());
    metadata::Run run;
    run.pipeline = "loans";
    run.trigger = launcher_.launched.back().trigger;
    run.status = status;
    run.started_ns = clock_.WallNanos();
    run.ended_ns = run.started_ns + 5'000'000'000;
    ASSERT_TRUE(db_->CreateRun(run).ok());
    launcher_.reports.clear();
    LaunchReport exited;
    exited.fire_id = launcher_.launched.back().fire_id;
    exited.exited = true;
    launcher_.reports.push_back(exited);
    clock_.Advance(60'000'000'000);
    ASSERT_TRUE(queue_->Step().ok());
  }
  auto points = control_->QuerySeries("mlpipe_run_duration_seconds", std::nullopt, 0, clock_.WallNanos() * 2);
  ASSERT_TRUE(points.ok()) << points.status().ToString();
  ASSERT_EQ(points->size(), 1u);
  EXPECT_DOUBLE_EQ((*points)[0].value, 5.0);
}

// A manual fire's params reach its run as `-p`; such a fire asks for a run
// of its own: it is not folded into a queued fire, nor is a later plain fire
// folded into it.
TEST_F(RunQueueTest, AManualFiresParamsReachItsRunAndAreNeverCoalescedAway) {
  ASSERT_NO_FATAL_FAILURE(Start({Def("loans", "", 0)}));
  auto with_params = engine_->Webhook("loans", "", "127.0.0.1", false, R"({"seed":7,"optimizer":"adam"})");
  ASSERT_TRUE(with_params.ok()) << with_params.status().ToString();
  auto plain = engine_->Webhook("loans", "", "127.0.0.1", false);
  ASSERT_TRUE(plain.ok());
  auto folded = engine_->Webhook("loans", "", "127.0.0.1", false);
  ASSERT_TRUE(folded.ok());
  auto fire = control_->GetFire(*folded);
  ASSERT_TRUE(fire.ok());
  EXPECT_EQ(fire->state, FireState::kCoalesced);
  EXPECT_EQ(fire->detail, fmt::format("coalesced into fire {}, already queued", *plain));
  fire = control_->GetFire(*with_params);
  ASSERT_TRUE(fire.ok());
  EXPECT_EQ(fire->params, R"({"seed":7,"optimizer":"adam"})");

  ASSERT_TRUE(queue_->Step().ok());
  ASSERT_EQ(launcher_.launched.size(), 1u);
  EXPECT_EQ(launcher_.launched[0].fire_id, *with_params);
  EXPECT_EQ(launcher_.launched[0].param_overrides, (std::vector<std::string>{"optimizer=adam", "seed=7"}));
  launcher_.ExitAll();
  ASSERT_TRUE(queue_->Step().ok());
  ASSERT_EQ(launcher_.launched.size(), 2u);
  EXPECT_EQ(launcher_.launched[1].fire_id, *plain);
  EXPECT_TRUE(launcher_.launched[1].param_overrides.empty());
}

}  // namespace
}  // namespace mlpipe::server
