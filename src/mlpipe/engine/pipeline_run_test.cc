// RunPipeline driven by a fake runner on a fake clock over an in-memory
// metadata store (engine/env.h), in the shape of ninja's build_test.cc: a
// pipeline in a string, a fake command language ("write FILE TEXT...",
// "copy FROM TO"), and assertions on which commands ran and each step's
// recorded status and reason. The cache decision is tested here without a
// process; tests/e2e runs the real binary.
#include "mlpipe/engine/pipeline_run.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/exec/fake_runner.h"
#include "mlpipe/metadata/sqlite_store.h"

namespace mlpipe::engine {
namespace {

using metadata::ExecutionStatus;

// Writes `text` to `path` (what a fake command writes).
void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The fake commands' effects, made when the runner starts them.
void RunFakeCommand(const exec::Command& command) {
  const std::vector<std::string>& a = command.argv;
  if (a.size() >= 2 && a[0] == "write") {
    std::string text;
    for (size_t i = 2; i < a.size(); ++i) text += (i > 2 ? " " : "") + a[i];
    WriteText(a[1], text);
  } else if (a.size() == 3 && a[0] == "copy") {
    WriteText(a[2], ReadText(a[1]));
  }
}

// What a step's record says.
struct StepRecord {
  ExecutionStatus status;
  std::string reason;
};

class PipelineRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ws = store::Workspace::OpenOrCreate(tmp_.path());
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    ws_ = std::make_unique<store::Workspace>(*ws);
    auto db = metadata::SqliteStore::Open(":memory:");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    store::ObjectStoreOptions object_options;
    object_options.clock = &clock_;
    auto objects = store::ObjectStore::Open(*ws_, object_options);
    ASSERT_TRUE(objects.ok()) << objects.status().ToString();
    objects_ = std::move(objects).value();
    auto hashes = store::HashCache::Open(ws_->HashCachePath());
    ASSERT_TRUE(hashes.ok()) << hashes.status().ToString();
    hashes_ = std::move(hashes).value();
    env_.clock = &clock_;
    env_.fs = &store::PosixFileSystem();
    env_.db = db_.get();
    env_.objects = objects_.get();
    env_.hashes = hashes_.get();
    env_.make_runner = [this](const RunnerHooks&) -> std::unique_ptr<exec::CommandRunner> {
      auto runner = std::make_unique<exec::FakeRunner>(&clock_);
      runner->SetDefault(exec::FakeAttempt{.duration_ns = 1'000'000});
      for (const auto& [job, attempts] : scripts_) runner->Script(job, attempts);
      runner->OnStart([this](int job, const exec::Command& command) {
        ran_.push_back(job_names_.at(job));
        RunFakeCommand(command);
      });
      return runner;
    };
  }

  // Runs pipeline.yaml (written from `yaml`) with `overrides`; returns the run id.
  int64_t Run(const std::string& yaml, const std::vector<std::string>& overrides = {},
              bool no_cache = false) {
    tmp_.Write("pipeline.yaml", yaml);
    auto pipeline = LoadPipelineForRun(tmp_.Sub("pipeline.yaml"), overrides);
    EXPECT_TRUE(pipeline.ok()) << pipeline.status().ToString();
    if (!pipeline.ok()) return 0;
    job_names_.clear();
    for (const auto& step : pipeline->spec.steps) job_names_.push_back(step.name);
    ran_.clear();
    RunOptions options;
    options.parallelism = 2;
    options.no_cache = no_cache;
    options.keep_going = keep_going_;
    options.out = &out_;
    options.err = &err_;
    auto report = RunPipeline(env_, *ws_, *pipeline, options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? report->run_id : 0;
  }

  // Each step's recorded status and reason in run `run_id`.
  std::map<std::string, StepRecord> Steps(int64_t run_id) {
    std::map<std::string, StepRecord> out;
    auto execs = db_->ListExecutions(run_id);
    EXPECT_TRUE(execs.ok()) << execs.status().ToString();
    if (!execs.ok()) return out;
    for (const auto& e : *execs) out[e.step] = {e.status, e.reason};
    return out;
  }

  metadata::RunStatus RunStatusOf(int64_t run_id) {
    auto run = db_->GetRun(run_id);
    EXPECT_TRUE(run.ok()) << run.status().ToString();
    return run.ok() ? run->status : metadata::RunStatus::kRunning;
  }

  mlpipe::testing::TempDir tmp_{"pipeline_run"};
  FakeClock clock_;
  std::unique_ptr<store::Workspace> ws_;
  std::unique_ptr<metadata::SqliteStore> db_;
  std::unique_ptr<store::ObjectStore> objects_;
  std::unique_ptr<store::HashCache> hashes_;
  Env env_;
  std::map<int, std::vector<exec::FakeAttempt>> scripts_;  // by job (step index)
  std::vector<std::string> job_names_;
  std::vector<std::string> ran_;  // steps whose commands started, in order
  bool keep_going_ = false;
  std::ostringstream out_;
  std::ostringstream err_;
};

// prep -> train -> eval, and a side step that reads the source only.
constexpr const char* kChain = R"y(pipeline: chain
params: {lr: 0.1}
steps:
  prep:
    run: copy ${inputs.raw} ${outputs.data}
    inputs: {raw: data/raw.csv}
    outputs: {data: dataset}
  train:
    run: write ${outputs.model} model with lr ${params.lr}
    env: {LR: "${params.lr}"}
    inputs: {data: prep.data}
    outputs: {model: model}
  eval:
    run: copy ${inputs.model} ${outputs.report}
    inputs: {model: train.model}
    outputs: {report: metrics}
  side:
    run: copy ${inputs.raw} ${outputs.copy}
    inputs: {raw: data/raw.csv}
    outputs: {copy: dataset}
)y";

TEST_F(PipelineRunTest, AFirstRunRunsEveryStepInDependencyOrder) {
  tmp_.Write("data/raw.csv", "a,b\n1,2\n");
  const int64_t run = Run(kChain);
  EXPECT_EQ(RunStatusOf(run), metadata::RunStatus::kSucceeded) << out_.str() << err_.str();
  ASSERT_EQ(ran_.size(), 4u) << out_.str();
  auto pos = [&](const std::string& s) { return std::find(ran_.begin(), ran_.end(), s) - ran_.begin(); };
  EXPECT_LT(pos("prep"), pos("train"));
  EXPECT_LT(pos("train"), pos("eval"));
  for (const auto& [step, rec] : Steps(run)) {
    EXPECT_EQ(rec.status, ExecutionStatus::kSucceeded) << step;
    EXPECT_EQ(rec.reason, "new step (never ran)") << step;
  }
}

TEST_F(PipelineRunTest, ARerunWithNothingChangedRunsNothing) {
  tmp_.Write("data/raw.csv", "a,b\n1,2\n");
  Run(kChain);
  const int64_t second = Run(kChain);
  EXPECT_TRUE(ran_.empty()) << fmt::format("{}", fmt::join(ran_, ", "));
  EXPECT_EQ(RunStatusOf(second), metadata::RunStatus::kSucceeded);
  for (const auto& [step, rec] : Steps(second)) EXPECT_EQ(rec.status, ExecutionStatus::kCached) << step;
}

TEST_F(PipelineRunTest, AChangedParamRerunsTheStepThatReadsItAndWhatDependsOnIt) {
  tmp_.Write("data/raw.csv", "a,b\n1,2\n");
  Run(kChain);
  const int64_t second = Run(kChain, {"lr=0.2"});
  EXPECT_EQ(ran_, (std::vector<std::string>{"train", "eval"}));
  auto steps = Steps(second);
  EXPECT_EQ(steps["prep"].status, ExecutionStatus::kCached);
  EXPECT_EQ(steps["side"].status, ExecutionStatus::kCached);
  EXPECT_EQ(steps["train"].status, ExecutionStatus::kSucceeded);
  EXPECT_NE(steps["train"].reason.find("lr"), std::string::npos) << steps["train"].reason;
  EXPECT_NE(steps["eval"].reason.find("model"), std::string::npos) << steps["eval"].reason;
}

TEST_F(PipelineRunTest, AnOutputWithTheSameContentStopsTheRerunThere) {
  tmp_.Write("data/raw.csv", "a,b\n1,2\n");
  Run(kChain);
  // A new param value that the command does not write into its output:
  // train reruns, its model is the same content, so eval is reused.
  std::string same_output = kChain;
  const std::string lr_in_output = " with lr ${params.lr}";
  same_output.erase(same_output.find(lr_in_output), lr_in_output.size());
  Run(same_output);
  ran_.clear();
  const int64_t third = Run(same_output, {"lr=0.3"});
  EXPECT_EQ(ran_, (std::vector<std::string>{"train"}));
  EXPECT_EQ(Steps(third)["eval"].status, ExecutionStatus::kCached);
}

TEST_F(PipelineRunTest, AChangedSourceRerunsItsReadersAndStopsWhereAnOutputIsUnchanged) {
  tmp_.Write("data/raw.csv", "a,b\n1,2\n");
  Run(kChain);
  tmp_.Write("data/raw.csv", "a,b\n1,2\n3,4\n");
  const int64_t second = Run(kChain);
  std::vector<std::string> ran = ran_;
  std::sort(ran.begin(), ran.end());
  // train's model does not depend on the data's content, so eval is reused.
  EXPECT_EQ(ran, (std::vector<std::string>{"prep", "side", "train"}));
  auto steps = Steps(second);
  EXPECT_EQ(steps["eval"].status, ExecutionStatus::kCached);
  EXPECT_NE(steps["prep"].reason.find("raw.csv"), std::string::npos) << steps["prep"].reason;
  EXPECT_NE(steps["side"].reason.find("raw.csv"), std::string::npos) << steps["side"].reason;
}

TEST_F(PipelineRunTest, AFailedStepSkipsWhatDependsOnItAndTheRerunResumesThere) {
  tmp_.Write("data/raw.csv", "a,b\n1,2\n");
  scripts_[1] = {exec::FakeAttempt{.duration_ns = 1'000'000, .exit_code = 3}};  // train
  const int64_t first = Run(kChain);
  EXPECT_EQ(RunStatusOf(first), metadata::RunStatus::kFailed);
  auto steps = Steps(first);
  EXPECT_EQ(steps["train"].status, ExecutionStatus::kFailed);
  EXPECT_EQ(steps["eval"].status, ExecutionStatus::kSkipped);
  EXPECT_EQ(steps["prep"].status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(std::count(ran_.begin(), ran_.end(), "eval"), 0);

  scripts_.clear();
  const int64_t second = Run(kChain);
  EXPECT_EQ(RunStatusOf(second), metadata::RunStatus::kSucceeded);
  EXPECT_EQ(ran_, (std::vector<std::string>{"train", "eval"}));
  EXPECT_EQ(Steps(second)["prep"].status, ExecutionStatus::kCached);
}

TEST_F(PipelineRunTest, NoCacheRunsEveryStepAgain) {
  tmp_.Write("data/raw.csv", "a,b\n1,2\n");
  Run(kChain);
  const int64_t second = Run(kChain, {}, /*no_cache=*/true);
  EXPECT_EQ(ran_.size(), 4u);
  for (const auto& [step, rec] : Steps(second)) EXPECT_EQ(rec.status, ExecutionStatus::kSucceeded) << step;
}

TEST_F(PipelineRunTest, AStepThatWritesNoDeclaredOutputFailsWithItsName) {
  keep_going_ = true;
  tmp_.Write("data/raw.csv", "a,b\n1,2\n");
  std::string lazy = kChain;
  const std::string side_command = "copy ${inputs.raw} ${outputs.copy}";
  lazy.replace(lazy.find(side_command), side_command.size(), "write /dev/null ${outputs.copy}");
  const int64_t run = Run(lazy);
  EXPECT_EQ(RunStatusOf(run), metadata::RunStatus::kFailed);
  auto steps = Steps(run);
  EXPECT_EQ(steps["side"].status, ExecutionStatus::kFailed);
  EXPECT_NE(steps["side"].reason.find("copy"), std::string::npos) << steps["side"].reason;
  EXPECT_EQ(steps["eval"].status, ExecutionStatus::kSucceeded);  // independent of side: --keep-going
}

}  // namespace
}  // namespace mlpipe::engine
