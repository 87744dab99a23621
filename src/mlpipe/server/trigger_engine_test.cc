// The trigger engine on a fake clock and fake probes, over a real SQLite
// control store: each kind fires once per change, a touch fires nothing,
// bursts coalesce, schedules never catch up a backlog, and a restart (a new
// engine on the same database) neither loses nor repeats a fire.
#include "mlpipe/server/trigger_engine.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/metadata/sqlite_control_store.h"

namespace mlpipe::server {
namespace {

using metadata::FireState;
using Kind = TriggerDef::Kind;

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kMin = 60 * kSec;

// 2026-12-07 02:59:00 UTC (a Monday); the tests run in UTC.
constexpr int64_t kStart = 1'796'612'340LL * kSec;

class TriggerEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
    Reopen();
  }
  void Reopen() {
    engine_.reset();
    store_.reset();
    auto s = metadata::SqliteControlStore::Open(tmp_.Sub("metadata.db"));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(*s);
  }
  PipelineDef Pipeline(std::vector<TriggerDef> triggers) {
    PipelineDef p;
    p.name = "loans";
    p.dir = "/proj";
    p.spec_path = "/proj/loans.yaml";
    p.code_files = {"/proj/loans.yaml", "/proj/scripts/train.py"};
    p.triggers = std::move(triggers);
    return p;
  }
  void Make(std::vector<TriggerDef> triggers, bool poll_paths = false) {
    engine_ = std::make_unique<TriggerEngine>(
        std::vector<PipelineDef>{Pipeline(std::move(triggers))}, *store_, probes_, clock_,
        TriggerEngineOptions{.poll_interval_ns = 5 * kSec, .poll_paths = poll_paths});
    ASSERT_TRUE(engine_->Start().ok());
  }
  std::vector<metadata::TriggerFire> Fires() {
    auto f = store_->ListFires({});
    EXPECT_TRUE(f.ok());
    std::vector<metadata::TriggerFire> out(f->rbegin(), f->rend());  // oldest first
    return out;
  }

  mlpipe::testing::TempDir tmp_{"triggers"};
  FakeClock clock_{kStart};
  FakeTriggerProbes probes_;
  std::unique_ptr<metadata::SqliteControlStore> store_;
  std::unique_ptr<TriggerEngine> engine_;
};

TriggerDef Schedule(std::string id, std::string cron) {
  TriggerDef t;
  t.kind = Kind::kSchedule;
  t.id = std::move(id);
  t.cron = std::move(cron);
  return t;
}

TriggerDef OnChange(std::string id, std::vector<std::string> paths) {
  TriggerDef t;
  t.kind = Kind::kOnChange;
  t.id = std::move(id);
  t.paths = paths;
  for (auto& p : paths) t.shown_paths.push_back(p.substr(std::string("/proj/").size()));
  return t;
}

TriggerDef Webhook(std::string name) {
  TriggerDef t;
  t.kind = Kind::kWebhook;
  t.id = std::move(name);
  return t;
}

TEST_F(TriggerEngineTest, AScheduleFiresOncePerSlotAndNeverCatchesUpABacklog) {
  Make({Schedule("schedule#1", "0 3 * * *")});
  EXPECT_TRUE(Fires().empty());
  clock_.Advance(30 * kSec);
  ASSERT_TRUE(engine_->Tick().ok());
  EXPECT_TRUE(Fires().empty());
  EXPECT_EQ(engine_->NextWakeNs(), kStart + 35 * kSec);  // the next poll, before the 03:00 slot
  clock_.Advance(30 * kSec);                             // 03:00:00
  auto fired = engine_->Tick();
  ASSERT_TRUE(fired.ok());
  ASSERT_EQ(fired->size(), 1u);
  auto fires = Fires();
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].reason, "schedule 0 3 * * * (2026-12-07 03:00)");
  EXPECT_EQ(fires[0].trigger_id, "schedule#1");
  ASSERT_TRUE(engine_->Tick().ok());
  EXPECT_EQ(Fires().size(), 1u);  // the same slot never twice
  // Three days pass without a tick: one fire, saying it was missed.
  clock_.Advance(3 * 24 * 60 * kMin);
  ASSERT_TRUE(engine_->Tick().ok());
  fires = Fires();
  ASSERT_EQ(fires.size(), 2u);
  EXPECT_EQ(fires[1].reason, "schedule 0 3 * * * (2026-12-10 03:00) missed, with 2 earlier slots");
  EXPECT_EQ(fires[1].state, FireState::kCoalesced);  // the first is still queued
}

TEST_F(TriggerEngineTest, AScheduleMissedWhileTheServerWasDownFiresOnceAtStartUp) {
  Make({Schedule("schedule#1", "0 3 * * *")});
  engine_.reset();
  clock_.Advance(2 * kMin);  // the 03:00 slot passes while no server runs
  Reopen();
  Make({Schedule("schedule#1", "0 3 * * *")});
  auto fires = Fires();
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].reason, "schedule 0 3 * * * (2026-12-07 03:00) missed");
  // And a second restart does not fire it again.
  Reopen();
  Make({Schedule("schedule#1", "0 3 * * *")});
  EXPECT_EQ(Fires().size(), 1u);
}

TEST_F(TriggerEngineTest, AContentChangeFiresOnceAndATouchNothing) {
  probes_.digests["/proj/data/loans.csv"] = "sha256:aaaaaaaaaaaaaaaa";
  Make({OnChange("on_change#1", {"/proj/data/loans.csv", "/proj/data/new"})});
  EXPECT_TRUE(Fires().empty());  // the first digest is the baseline
  // A touch: the watcher reports the path, the digest is the same.
  ASSERT_TRUE(engine_->PathsChanged({"/proj/data/loans.csv"}).ok());
  EXPECT_TRUE(Fires().empty());
  probes_.digests["/proj/data/loans.csv"] = "sha256:bbbbbbbbbbbbbbbb";
  ASSERT_TRUE(engine_->PathsChanged({"/proj/data/loans.csv"}).ok());
  ASSERT_TRUE(engine_->PathsChanged({"/proj/data/loans.csv"}).ok());  // reported twice, one change
  auto fires = Fires();
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].reason, "on_change data/loans.csv sha256:aaaaaaaa -> sha256:bbbbbbbb");
  // A file appearing in a watched folder: the folder's digest moves.
  probes_.digests["/proj/data/new"] = "sha256:cccccccccccccccc";
  ASSERT_TRUE(engine_->PathsChanged({"/proj/data/new/2026-12.csv"}).ok());
  fires = Fires();
  ASSERT_EQ(fires.size(), 2u);
  EXPECT_EQ(fires[1].reason, "on_change data/new (absent) -> sha256:cccccccc");
  EXPECT_EQ(fires[1].state, FireState::kCoalesced);
  EXPECT_EQ(fires[1].detail, "coalesced into fire " + std::to_string(fires[0].id) + ", already queued");
}

TEST_F(TriggerEngineTest, AChangeWhileTheServerWasDownFiresOnceAfterTheRestart) {
  probes_.digests["/proj/data/loans.csv"] = "sha256:aaaaaaaaaaaaaaaa";
  Make({OnChange("on_change#1", {"/proj/data/loans.csv"})});
  engine_.reset();
  probes_.digests["/proj/data/loans.csv"] = "sha256:bbbbbbbbbbbbbbbb";
  Reopen();
  Make({OnChange("on_change#1", {"/proj/data/loans.csv"})});
  ASSERT_EQ(Fires().size(), 1u);
  Reopen();
  Make({OnChange("on_change#1", {"/proj/data/loans.csv"})});
  EXPECT_EQ(Fires().size(), 1u);
}

TEST_F(TriggerEngineTest, PollingFindsChangesWithoutAWatcher) {
  probes_.digests["/proj/data/loans.csv"] = "sha256:aaaaaaaaaaaaaaaa";
  Make({OnChange("on_change#1", {"/proj/data/loans.csv"})}, /*poll_paths=*/true);
  probes_.digests["/proj/data/loans.csv"] = "sha256:bbbbbbbbbbbbbbbb";
  ASSERT_TRUE(engine_->Tick().ok());  // the first tick polls
  ASSERT_EQ(Fires().size(), 1u);
  probes_.digests["/proj/data/loans.csv"] = "sha256:cccccccccccccccc";
  ASSERT_TRUE(engine_->Tick().ok());  // before the poll interval: not yet
  EXPECT_EQ(Fires().size(), 1u);
  clock_.Advance(5 * kSec);
  ASSERT_TRUE(engine_->Tick().ok());
  EXPECT_EQ(Fires().size(), 2u);
}

TEST_F(TriggerEngineTest, ACommitFiresOnlyWhenItTouchesThePipelinesFiles) {
  TriggerDef t;
  t.kind = Kind::kOnCommit;
  t.id = "on_commit#1";
  t.repo = "/proj";
  t.branch = "main";
  probes_.heads["/proj@main"] = {"1111111aaaa", "Ann"};
  Make({t});
  probes_.heads["/proj@main"] = {"2222222bbbb", "Bob"};
  probes_.changed["1111111aaaa..2222222bbbb"] = {"/proj/README.md"};
  clock_.Advance(5 * kSec);
  ASSERT_TRUE(engine_->Tick().ok());
  EXPECT_TRUE(Fires().empty());
  probes_.heads["/proj@main"] = {"3333333cccc", "Cy"};
  probes_.changed["2222222bbbb..3333333cccc"] = {"/proj/scripts/train.py", "/proj/notes.txt"};
  clock_.Advance(5 * kSec);
  ASSERT_TRUE(engine_->Tick().ok());
  auto fires = Fires();
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].reason, "commit 3333333 by Cy touches scripts/train.py");
}

TEST_F(TriggerEngineTest, AnAliasMoveFiresOnModel) {
  TriggerDef t;
  t.kind = Kind::kOnModel;
  t.id = "on_model#1";
  t.model = "features";
  t.alias = "champion";
  probes_.aliases["features@champion"] = 3;
  Make({t});
  clock_.Advance(5 * kSec);
  ASSERT_TRUE(engine_->Tick().ok());
  EXPECT_TRUE(Fires().empty());
  probes_.aliases["features@champion"] = 4;
  clock_.Advance(5 * kSec);
  ASSERT_TRUE(engine_->Tick().ok());
  auto fires = Fires();
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_EQ(fires[0].reason, "on_model features@champion v3 -> v4");
}

TEST_F(TriggerEngineTest, WebhooksFireUnlessPausedAndUnknownOnesAreNotFound) {
  Make({Webhook("retrain")});
  auto id = engine_->Webhook("loans", "retrain", "127.0.0.1", false);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(store_->GetFire(*id)->reason, "webhook retrain from 127.0.0.1");
  EXPECT_EQ(engine_->Webhook("loans", "nosuch", "127.0.0.1", false).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(engine_->Webhook("nosuch", "retrain", "127.0.0.1", false).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(engine_->SetPaused("loans", "retrain", true).ok());
  auto paused = engine_->Webhook("loans", "retrain", "127.0.0.1", false);
  EXPECT_EQ(paused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Fires().size(), 1u);  // nothing recorded
  // force=true goes through, and is not coalesced.
  auto forced = engine_->Webhook("loans", "retrain", "127.0.0.1", true);
  ASSERT_TRUE(forced.ok());
  EXPECT_TRUE(store_->GetFire(*forced)->force);
  EXPECT_EQ(store_->GetFire(*forced)->state, FireState::kQueued);
  ASSERT_TRUE(engine_->SetPaused("loans", "retrain", false).ok());
  EXPECT_TRUE(engine_->Webhook("loans", "retrain", "127.0.0.1", false).ok());
}

TEST_F(TriggerEngineTest, AllFiresOnceEveryMemberSawAnEventAndTheConditionHolds) {
  TriggerDef all;
  all.kind = Kind::kAll;
  all.id = "all#1";
  all.children.push_back(OnChange("all#1/on_change#1", {"/proj/data/new"}));
  TriggerDef since;
  since.kind = Kind::kSinceLastRun;
  since.id = "all#1/since_last_run#2";
  since.since_ns = 7 * 24 * 60 * kMin;
  all.children.push_back(since);
  probes_.digests["/proj/data/new"] = "sha256:aaaaaaaaaaaaaaaa";
  probes_.last_runs["loans"] = kStart - 24 * 60 * kMin;  // a run a day ago
  Make({all});
  probes_.digests["/proj/data/new"] = "sha256:bbbbbbbbbbbbbbbb";
  ASSERT_TRUE(engine_->PathsChanged({"/proj/data/new"}).ok());
  EXPECT_TRUE(Fires().empty());  // new data, but the last run is too recent
  clock_.Advance(6 * 24 * 60 * kMin + kMin);
  ASSERT_TRUE(engine_->Tick().ok());
  auto fires = Fires();
  ASSERT_EQ(fires.size(), 1u);
  EXPECT_NE(fires[0].reason.find("all of: on_change data/new"), std::string::npos) << fires[0].reason;
  clock_.Advance(5 * kSec);
  ASSERT_TRUE(engine_->Tick().ok());
  EXPECT_EQ(Fires().size(), 1u);  // the pending change was used up
}

TEST_F(TriggerEngineTest, AnyFiresForWhicheverMemberSawAnEvent) {
  TriggerDef any;
  any.kind = Kind::kAny;
  any.id = "any#1";
  any.children.push_back(Webhook("nudge"));
  any.children.push_back(Schedule("any#1/schedule#2", "0 3 * * *"));
  Make({any});
  ASSERT_TRUE(engine_->Webhook("loans", "nudge", "10.0.0.1", false).ok());
  clock_.Advance(kMin);
  ASSERT_TRUE(engine_->Tick().ok());
  auto fires = Fires();
  ASSERT_EQ(fires.size(), 2u);
  EXPECT_EQ(fires[0].trigger_id, "any#1");
  EXPECT_EQ(fires[0].reason, "webhook nudge from 10.0.0.1");
  EXPECT_EQ(fires[1].reason, "schedule 0 3 * * * (2026-12-07 03:00)");
}

TEST_F(TriggerEngineTest, DriftFiresTheDeploymentsOnDriftTriggers) {
  TriggerDef t;
  t.kind = Kind::kOnDrift;
  t.id = "on_drift#1";
  t.deployment = "lending-club";
  Make({t});
  ASSERT_TRUE(engine_->Drift("other", "psi 0.4 on x").ok());
  EXPECT_TRUE(Fires().empty());
  auto fired = engine_->Drift("lending-club", "psi 0.31 >= 0.25 on int_rate for 3 windows");
  ASSERT_TRUE(fired.ok());
  ASSERT_EQ(fired->size(), 1u);
  EXPECT_EQ(Fires()[0].reason, "on_drift lending-club: psi 0.31 >= 0.25 on int_rate for 3 windows");
}

TEST_F(TriggerEngineTest, EveryQueuedFireOfAPipelineAlsoFiresItsChallenger) {
  PipelineDef champion = Pipeline({Webhook("retrain"), Schedule("schedule#1", "0 3 * * *")});
  PipelineDef challenger = Pipeline({Webhook("own")});
  challenger.name = "loans_xgb";
  challenger.challenger_of = "loans";
  engine_ = std::make_unique<TriggerEngine>(std::vector<PipelineDef>{champion, challenger}, *store_, probes_,
                                            clock_, TriggerEngineOptions{.poll_interval_ns = 5 * kSec});
  ASSERT_TRUE(engine_->Start().ok());
  auto id = engine_->Webhook("loans", "retrain", "127.0.0.1", false);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  std::vector<metadata::TriggerFire> fires = Fires();
  ASSERT_EQ(fires.size(), 2u);
  EXPECT_EQ(fires[1].pipeline, "loans_xgb");
  EXPECT_EQ(fires[1].trigger_id, "challenger_of");
  EXPECT_EQ(fires[1].reason,
            fmt::format("challenger_of loans: fire {} (webhook retrain from 127.0.0.1)", *id));
  EXPECT_EQ(fires[1].state, FireState::kQueued);
  EXPECT_EQ(engine_->TakeChallengerFires(), std::vector<int64_t>{fires[1].id});
  EXPECT_TRUE(engine_->TakeChallengerFires().empty());
  // A fire of the champion coalesced into its queued one starts no run: no
  // fire of the challenger either.
  ASSERT_TRUE(engine_->Webhook("loans", "retrain", "127.0.0.1", false).ok());
  EXPECT_EQ(Fires().size(), 3u);
  // The challenger's own trigger fires it alone (coalesced: one is queued).
  ASSERT_TRUE(engine_->Webhook("loans_xgb", "own", "127.0.0.1", false).ok());
  fires = Fires();
  ASSERT_EQ(fires.size(), 4u);
  EXPECT_EQ(fires[3].pipeline, "loans_xgb");
  EXPECT_EQ(fires[3].state, FireState::kCoalesced);
  // A forced fire of the champion queues; the challenger's is not forced, so
  // its own brakes and coalescing apply.
  auto forced = engine_->Webhook("loans", "retrain", "127.0.0.1", true);
  ASSERT_TRUE(forced.ok());
  fires = Fires();
  ASSERT_EQ(fires.size(), 6u);
  EXPECT_EQ(fires[5].pipeline, "loans_xgb");
  EXPECT_FALSE(fires[5].force);
  EXPECT_EQ(fires[5].state, FireState::kCoalesced);
  EXPECT_EQ(fires[5].reason,
            fmt::format("challenger_of loans: fire {} (webhook retrain from 127.0.0.1)", *forced));
  // Any trigger: a schedule slot of the champion, once the queue is empty.
  for (const auto& f : Fires()) {
    if (f.state != FireState::kQueued) continue;
    auto done = f;
    done.state = FireState::kFinished;
    ASSERT_TRUE(store_->UpdateFire(done).ok());
  }
  clock_.Advance(90 * kSec);  // 03:00:30
  auto fired = engine_->Tick();
  ASSERT_TRUE(fired.ok());
  ASSERT_EQ(fired->size(), 1u);
  fires = Fires();
  EXPECT_EQ(fires.back().pipeline, "loans_xgb");
  EXPECT_EQ(fires.back().state, FireState::kQueued);
  EXPECT_EQ(fires.back().reason,
            fmt::format("challenger_of loans: fire {} (schedule 0 3 * * * (2026-12-07 03:00))", (*fired)[0]));
}

}  // namespace
}  // namespace mlpipe::server
