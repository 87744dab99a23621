#include "mlpipe/engine/run_recorder.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::engine {
namespace {

std::string Ref(char c) { return "sha256:" + std::string(64, c); }

// RunRecorder over a real SQLite file.
class RunRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = metadata::SqliteStore::Open(tmp_.Sub("metadata.db"));
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }
  void TearDown() override { db_.reset(); }

  // One successful execution of `step` under `key` writing `ref` as "out".
  int64_t Succeed(RunRecorder& rec, const std::string& step, const std::string& key, const std::string& ref) {
    ExecutionStart start;
    start.step = step;
    start.key = key;
    start.key_record = {{"step", step}};
    auto id = rec.StartExecution(start);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    ExecutionEnd end;
    end.status = metadata::ExecutionStatus::kSucceeded;
    end.exit_code = 0;
    auto versions =
        rec.FinishExecution(*id, step, key, end, {OutputIngested{"out", "dataset", ref, 1, false}}, {});
    EXPECT_TRUE(versions.ok()) << versions.status().ToString();
    return *id;
  }

  mlpipe::testing::TempDir tmp_{"engine"};
  std::unique_ptr<metadata::SqliteStore> db_;
  FakeClock clock_;
};

// The hook runs before each batch's commit, while the batch is still open
// (what the run uses to give back the space reserve on a nearly full disk),
// and not when there is nothing to commit.
TEST_F(RunRecorderTest, BeforeCommitRunsOncePerBatchBeforeItIsCommitted) {
  RunRecorder rec(*db_, "p", clock_);
  ASSERT_TRUE(rec.StartRun("p.yaml", nlohmann::json::object(), nlohmann::json::object()).ok());
  std::vector<bool> pending_at_call;
  rec.SetBeforeCommit([&] { pending_at_call.push_back(rec.HasPending()); });
  Succeed(rec, "a", "K", Ref('a'));
  ASSERT_TRUE(rec.HasPending());
  ASSERT_TRUE(rec.Flush().ok());
  ASSERT_TRUE(rec.Flush().ok());  // nothing pending: no commit, no call
  EXPECT_EQ(pending_at_call, std::vector<bool>{true});
}

TEST_F(RunRecorderTest, ReadAheadAnswersLikeTheDatabaseAndSeesEntriesOfItsOwnRun) {
  int64_t a1 = 0;
  {
    RunRecorder run1(*db_, "p", clock_);
    ASSERT_TRUE(run1.StartRun("p.yaml", nlohmann::json::object(), nlohmann::json::object()).ok());
    a1 = Succeed(run1, "a", "K", Ref('a'));
    ASSERT_TRUE(run1.FinishRun(metadata::RunStatus::kSucceeded, "").ok());
  }
  RunRecorder run2(*db_, "p", clock_);
  ASSERT_TRUE(run2.StartRun("p.yaml", nlohmann::json::object(), nlohmann::json::object()).ok());
  auto last = run2.LastKey("a");
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->first, a1);
  EXPECT_EQ((*last)->second, "K");
  auto never = run2.LastKey("b");
  ASSERT_TRUE(never.ok());
  EXPECT_FALSE(never->has_value());
  auto hits = run2.LookupCache("K", 1);  // read ahead with the last keys
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].execution_id, a1);
  EXPECT_EQ((*hits)[0].outputs.at("out"), Ref('a'));
  EXPECT_TRUE(run2.LookupCache("other", 1)->empty());
  // A step of this run records a new entry under K: later lookups see it, not
  // the entry read ahead (the key does not name the step).
  int64_t b2 = Succeed(run2, "b", "K", Ref('b'));
  hits = run2.LookupCache("K", 1);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].execution_id, b2);
  EXPECT_EQ((*hits)[0].outputs.at("out"), Ref('b'));
  auto both = run2.LookupCache("K", 8);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->size(), 2u);
}

TEST_F(RunRecorderTest, AStepMissingFromTheRecentRunsIsLookedUpFurtherBack) {
  int64_t old = 0;
  {
    RunRecorder run(*db_, "p", clock_);
    ASSERT_TRUE(run.StartRun("p.yaml", nlohmann::json::object(), nlohmann::json::object()).ok());
    old = Succeed(run, "rare", "R", Ref('r'));
    ASSERT_TRUE(run.FinishRun(metadata::RunStatus::kSucceeded, "").ok());
  }
  for (int i = 0; i < 4; ++i) {  // more runs than the read-ahead covers, without "rare"
    RunRecorder run(*db_, "p", clock_);
    ASSERT_TRUE(run.StartRun("p.yaml", nlohmann::json::object(), nlohmann::json::object()).ok());
    Succeed(run, "often", "O", Ref('o'));
    ASSERT_TRUE(run.FinishRun(metadata::RunStatus::kSucceeded, "").ok());
  }
  RunRecorder run(*db_, "p", clock_);
  ASSERT_TRUE(run.StartRun("p.yaml", nlohmann::json::object(), nlohmann::json::object()).ok());
  auto last = run.LastKey("rare");
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->first, old);
  EXPECT_FALSE(run.LastKey("never")->has_value());
}

TEST_F(RunRecorderTest, AFailedStepsKeptOutputsAreRecordedButNeverReused) {
  RunRecorder rec(*db_, "p", clock_);
  ASSERT_TRUE(rec.StartRun("p.yaml", nlohmann::json::object(), nlohmann::json::object()).ok());
  ExecutionStart start;
  start.step = "validate";
  start.key = "K";
  start.key_record = {{"step", "validate"}};
  auto id = rec.StartExecution(start);
  ASSERT_TRUE(id.ok());
  auto versions =
      rec.RecordFailedOutputs(*id, "validate", {OutputIngested{"report", "report", Ref('r'), 5, false}},
                              {MetricPoint{"anomalies", 3, std::nullopt}});
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  EXPECT_EQ((*versions)["report"].Label(), "p.validate.report:v1");
  ExecutionEnd end;
  end.status = metadata::ExecutionStatus::kFailed;
  end.exit_code = 1;
  end.reason = "exit 1";
  ASSERT_TRUE(rec.EndExecution(*id, "validate", end).ok());
  rec.AddNote("warning: step validate: metric 'x' is null, not a number: not recorded");
  ASSERT_TRUE(rec.FinishRun(metadata::RunStatus::kFailed, "step validate failed").ok());

  auto version = db_->ResolveArtifact("p.validate.report");
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(version->version->execution_id, *id);
  auto metrics = db_->MetricsForRun(rec.run_id());
  ASSERT_EQ(metrics->size(), 1u);
  EXPECT_EQ((*metrics)[0].execution_id, *id);
  EXPECT_EQ(db_->LookupCache("K").status().code(),
            StatusCode::kNotFound);  // a failed execution is no cache hit
  EXPECT_EQ(db_->GetRun(rec.run_id())->exit_reason,
            "step validate failed\nwarning: step validate: metric 'x' is null, not a number: not recorded");
}

}  // namespace
}  // namespace mlpipe::engine
