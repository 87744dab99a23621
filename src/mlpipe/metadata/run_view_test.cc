#include "mlpipe/metadata/run_view.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::metadata {
namespace {

// The pid of a process that has exited and been reaped.
int64_t DeadPid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

TEST(RunViewTest, ARunningRunWhoseProcessIsGoneIsInterrupted) {
  metadata::Run run;
  run.status = RunStatus::kRunning;
  run.host = ThisHostName();
  run.pid = getpid();
  EXPECT_EQ(ShownStatus(run), "running");
  run.pid = DeadPid();
  EXPECT_EQ(ShownStatus(run), "interrupted");
  run.host = "another-machine";  // its process cannot be checked from here
  EXPECT_EQ(ShownStatus(run), "running");
  run.host = ThisHostName();
  run.status = RunStatus::kFailed;
  EXPECT_EQ(ShownStatus(run), "failed");
}

TEST(RunViewTest, TimesAreLocalTextOrRfc3339WithNullForUnset) {
  EXPECT_EQ(TimeJson(0, TimeStyle::kLocal), "");
  EXPECT_TRUE(TimeJson(0, TimeStyle::kRfc3339).is_null());
  EXPECT_EQ(TimeJson(1'700'000'000'000'000'000, TimeStyle::kRfc3339), "2023-11-14T22:13:20.000Z");
}

TEST(RunViewTest, DetailHasStepsWithVersionedInputsAndOutputsNotesAndMetrics) {
  auto db = SqliteStore::Open(":memory:");
  ASSERT_TRUE(db.ok());
  metadata::Run r;
  r.pipeline = "p";
  r.params_json = R"({"lr":0.1})";
  r.started_ns = 1'000'000'000;
  r.ended_ns = 3'500'000'000;
  r.status = RunStatus::kSucceeded;
  r.exit_reason = "all good\nwarning: slow disk";
  const int64_t run = *(*db)->CreateRun(r);
  metadata::Execution e;
  e.run_id = run;
  e.step = "train";
  e.status = ExecutionStatus::kSucceeded;
  e.attempt = 2;
  e.exit_code = 0;
  e.wall_ns = 1'500'000'000;
  const int64_t exec = *(*db)->CreateExecution(e);
  const std::string in = "sha256:" + std::string(64, 'a');
  const std::string out = "sha256:" + std::string(64, 'b');
  ASSERT_TRUE((*db)->PutArtifact({in, "dataset", 1, false, 1}).ok());
  ASSERT_TRUE((*db)->PutArtifact({out, "model", 1, false, 1}).ok());
  ASSERT_TRUE((*db)
                  ->RecordEvents({{0, exec, in, EventKind::kInput, "data", ""},
                                  {0, exec, out, EventKind::kOutput, "model", "p.train.model:v1"}})
                  .ok());
  ASSERT_TRUE((*db)->RecordMetrics({{run, exec, "auc", 0.9, std::nullopt, 1}}).ok());

  auto j = RunDetailJson(**db, *(*db)->GetRun(run), TimeStyle::kRfc3339);
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ((*j)["status"], "succeeded");
  EXPECT_DOUBLE_EQ((*j)["duration_s"].get<double>(), 2.5);
  EXPECT_EQ((*j)["params"]["lr"], 0.1);
  EXPECT_EQ((*j)["notes"], nlohmann::json({"all good", "warning: slow disk"}));
  ASSERT_EQ((*j)["steps"].size(), 1u);
  const auto& step = (*j)["steps"][0];
  EXPECT_EQ(step["attempts"], 2);
  EXPECT_EQ(step["inputs"]["data"], in);
  EXPECT_EQ(step["outputs"]["model"], "p.train.model:v1");
  EXPECT_DOUBLE_EQ(step["wall_s"].get<double>(), 1.5);
  ASSERT_EQ((*j)["metrics"].size(), 1u);
  EXPECT_EQ((*j)["metrics"][0]["step"], "train");
  EXPECT_DOUBLE_EQ((*j)["metrics"][0]["value"].get<double>(), 0.9);

  r.ended_ns = 0;
  EXPECT_TRUE(RunJson(r, TimeStyle::kLocal)["duration_s"].is_null());
}

}  // namespace
}  // namespace mlpipe::metadata
