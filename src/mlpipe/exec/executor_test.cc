#include "mlpipe/exec/executor.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "mlpipe/exec/fake_runner.h"
#include "mlpipe/exec/test_util.h"

namespace mlpipe::exec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A delegate with scripted decisions that records what it was asked.
class TestDelegate : public JobDelegate {
 public:
  StatusOr<JobLaunch> Prepare(int job, int attempt) override {
    prepared.emplace_back(job, attempt);
    if (auto it = prepare_errors.find(job); it != prepare_errors.end()) return it->second;
    JobLaunch launch;
    if (satisfied.count(job) > 0) {
      launch.kind = JobLaunch::kSatisfied;
      launch.reason = "cache hit";
      return launch;
    }
    launch.command.argv = {"step", std::to_string(job)};
    launch.command.timeout_ns = command_timeout_ns;
    return launch;
  }
  Status Finish(int job, int attempt, const CommandResult& result) override {
    finished.emplace_back(job, attempt);
    auto it = finish_errors.find({job, attempt});
    return it == finish_errors.end() ? OkStatus() : it->second;
  }
  void AttemptFailed(int job, int attempt, const CommandResult& result, const std::string& reason,
                     bool will_retry) override {
    failed_attempts.push_back({job, attempt, will_retry, result.Describe(), reason});
  }

  struct FailedAttempt {
    int job, attempt;
    bool will_retry;
    std::string describe;
    std::string reason;
  };
  std::set<int> satisfied;
  std::map<int, Status> prepare_errors;
  std::map<std::pair<int, int>, Status> finish_errors;
  int64_t command_timeout_ns = 0;
  std::vector<std::pair<int, int>> prepared, finished;
  std::vector<FailedAttempt> failed_attempts;
};

// Records events as "kind name" strings.
class RecordingObserver : public ExecObserver {
 public:
  void OnRunStarted(const JobGraph& graph) override { graph_ = &graph; }
  void OnEvent(const JobEvent& e) override {
    if (e.kind == JobEvent::Kind::kReady) return;
    events.push_back(fmt::format("{} {}", JobEventKindName(e.kind), graph_->jobs[e.job].name));
    if (e.kind == JobEvent::Kind::kRetrying) retry_after.push_back(e.retry_after_ns);
  }
  void OnTick(int64_t) override { ++ticks; }
  void OnRunFinished(const RunOutcome&) override { finished = true; }
  const JobGraph* graph_ = nullptr;
  std::vector<std::string> events;
  std::vector<int64_t> retry_after;
  int ticks = 0;
  bool finished = false;
};

class ExecutorTest : public ::testing::Test {
 protected:
  RunOutcome RunGraph(const JobGraph& g, ExecutorOptions options = {}, ExecObserver* observer = nullptr) {
    options.clock = &clock_;
    if (options.parallelism == 0) options.parallelism = 4;
    auto outcome = Executor(options).Run(g, delegate_, runner_, observer);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    return outcome.ok() ? *outcome : RunOutcome{};
  }
  std::vector<int64_t> StartTimes(int job) const {
    std::vector<int64_t> out;
    for (const auto& s : runner_.starts()) {
      if (s.job == job) out.push_back(s.at_ns);
    }
    return out;
  }

  FakeClock clock_;
  FakeRunner runner_{&clock_};
  TestDelegate delegate_;
};

TEST_F(ExecutorTest, RunsDependenciesBeforeDependents) {
  JobGraph g = Graph({{"prep", {}}, {"train", {0}}, {"eval", {1}}});
  RunOutcome out = RunGraph(g);
  EXPECT_TRUE(out.ok);
  EXPECT_THAT(StartTimes(0), ElementsAre(0));
  EXPECT_THAT(StartTimes(1), ElementsAre(1 * kSec));
  EXPECT_THAT(StartTimes(2), ElementsAre(2 * kSec));
  EXPECT_EQ(out.wall_ns, 3 * kSec);
  EXPECT_EQ(out.Count(JobState::kSucceeded), 3);
  EXPECT_THAT(delegate_.finished, ElementsAre(std::pair(0, 1), std::pair(1, 1), std::pair(2, 1)));
}

TEST_F(ExecutorTest, SlotsLimitConcurrency) {
  JobGraph g = Graph({{"a", {}}, {"b", {}}, {"c", {}}, {"d", {}}});
  RunOutcome out = RunGraph(g, {.parallelism = 2});
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(runner_.max_concurrent(), 2u);
  EXPECT_EQ(out.wall_ns, 2 * kSec);
}

TEST_F(ExecutorTest, JobTakesItsSlotsFromTheBudget) {
  JobGraph g = Graph({{"wide", {}}, {"a", {}}, {"b", {}}});
  g.jobs[0].slots = 3;
  RunOutcome out = RunGraph(g, {.parallelism = 4});
  EXPECT_TRUE(out.ok);
  // wide (3) + a (1) fill the 4 slots; b waits for one to free.
  EXPECT_THAT(StartTimes(1), ElementsAre(0));
  EXPECT_THAT(StartTimes(2), ElementsAre(1 * kSec));
}

TEST_F(ExecutorTest, JobWiderThanParallelismRunsAlone) {
  JobGraph g = Graph({{"huge", {}}, {"a", {}}});
  g.jobs[0].slots = 16;
  RunOutcome out = RunGraph(g, {.parallelism = 2});
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(runner_.max_concurrent(), 1u);
  EXPECT_EQ(out.wall_ns, 2 * kSec);
}

TEST_F(ExecutorTest, MemoryBudgetLimitsConcurrency) {
  JobGraph g = Graph({{"a", {}}, {"b", {}}, {"c", {}}});
  for (auto& j : g.jobs) j.memory_bytes = 600;
  g.jobs[2].memory_bytes = 5000;  // larger than the budget: clamped, runs alone
  RunOutcome out = RunGraph(g, {.parallelism = 4, .memory_budget_bytes = 1000});
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(runner_.max_concurrent(), 1u);
  EXPECT_EQ(out.wall_ns, 3 * kSec);
}

TEST_F(ExecutorTest, RetriesWithExponentialBackoff) {
  JobGraph g = Graph({{"flaky", {}}});
  g.jobs[0].max_attempts = 4;
  g.jobs[0].backoff_ns = 1 * kSec;
  runner_.Script(0, {{.exit_code = 1}, {.exit_code = 1}, {.exit_code = 0}});
  RecordingObserver obs;
  RunOutcome out = RunGraph(g, {.tick_interval_ns = 0}, &obs);
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.jobs[0].attempts, 3);
  // Runs 1 s each; waits 1 s after attempt 1 and 2 s after attempt 2.
  EXPECT_THAT(StartTimes(0), ElementsAre(0, 2 * kSec, 5 * kSec));
  EXPECT_THAT(obs.retry_after, ElementsAre(1 * kSec, 2 * kSec));
  ASSERT_EQ(delegate_.failed_attempts.size(), 2u);
  EXPECT_TRUE(delegate_.failed_attempts[0].will_retry);
  EXPECT_EQ(delegate_.failed_attempts[0].describe, "exit 1");
  EXPECT_THAT(delegate_.prepared, ElementsAre(std::pair(0, 1), std::pair(0, 2), std::pair(0, 3)));
  EXPECT_EQ(out.jobs[0].wall_ns, 3 * kSec);  // attempts only, not the backoff
}

TEST_F(ExecutorTest, GivesUpAfterMaxAttempts) {
  JobGraph g = Graph({{"bad", {}}});
  g.jobs[0].max_attempts = 2;
  g.jobs[0].backoff_ns = 10;
  runner_.Script(0, {{.exit_code = 3}});
  RunOutcome out = RunGraph(g);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.jobs[0].state, JobState::kFailed);
  EXPECT_EQ(out.jobs[0].attempts, 2);
  EXPECT_EQ(out.jobs[0].reason, "exit 3");
  ASSERT_EQ(delegate_.failed_attempts.size(), 2u);
  EXPECT_FALSE(delegate_.failed_attempts[1].will_retry);
}

TEST_F(ExecutorTest, JobWaitingForBackoffHoldsNoSlot) {
  JobGraph g = Graph({{"flaky", {}}, {"other", {}}});
  g.jobs[0].max_attempts = 2;
  g.jobs[0].backoff_ns = 10 * kSec;
  runner_.Script(0, {{.duration_ns = kSec, .exit_code = 1}, {.duration_ns = kSec}});
  RunOutcome out = RunGraph(g, {.parallelism = 1});
  EXPECT_TRUE(out.ok);
  // other runs during flaky's backoff.
  EXPECT_THAT(StartTimes(1), ElementsAre(1 * kSec));
  EXPECT_THAT(StartTimes(0), ElementsAre(0, 11 * kSec));
}

TEST_F(ExecutorTest, TimeoutFailsTheAttemptAndIsRetried) {
  JobGraph g = Graph({{"slow", {}}});
  g.jobs[0].timeout_ns = kSec / 2;  // used because the command sets none
  g.jobs[0].max_attempts = 2;
  g.jobs[0].backoff_ns = kSec;
  runner_.Script(0, {{.duration_ns = 100 * kSec}, {.duration_ns = kSec / 4}});
  RunOutcome out = RunGraph(g);
  EXPECT_TRUE(out.ok);
  ASSERT_EQ(delegate_.failed_attempts.size(), 1u);
  EXPECT_EQ(delegate_.failed_attempts[0].describe, "timed out after 500ms");
  EXPECT_EQ(runner_.starts()[0].command.timeout_ns, kSec / 2);
}

TEST_F(ExecutorTest, CommandTimeoutOverridesSpec) {
  JobGraph g = Graph({{"slow", {}}});
  g.jobs[0].timeout_ns = 100 * kSec;
  delegate_.command_timeout_ns = 2 * kSec;
  runner_.Script(0, {{.duration_ns = 50 * kSec}});
  RunOutcome out = RunGraph(g);
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.jobs[0].result.timed_out);
  EXPECT_EQ(out.wall_ns, 2 * kSec);
}

TEST_F(ExecutorTest, FailFastStopsStartingNewJobsButLetsRunningOnesFinish) {
  // bad fails at 1 s while long runs; after is independent but not started yet.
  JobGraph g = Graph({{"bad", {}}, {"long", {}}, {"after", {}}, {"down", {0}}});
  runner_.Script(0, {{.duration_ns = kSec, .exit_code = 1}});
  runner_.Script(1, {{.duration_ns = 3 * kSec}});
  RecordingObserver obs;
  RunOutcome out = RunGraph(g, {.parallelism = 2, .tick_interval_ns = 0}, &obs);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.jobs[0].state, JobState::kFailed);
  EXPECT_EQ(out.jobs[1].state, JobState::kSucceeded);
  EXPECT_EQ(out.jobs[2].state, JobState::kCancelled);
  EXPECT_EQ(out.jobs[2].reason, "run stopped: bad failed");
  EXPECT_EQ(out.jobs[3].state, JobState::kSkipped);
  EXPECT_EQ(out.jobs[3].reason, "upstream bad failed");
  EXPECT_TRUE(StartTimes(2).empty());
  EXPECT_EQ(out.wall_ns, 3 * kSec);
  EXPECT_TRUE(obs.finished);
  EXPECT_THAT(obs.events, ElementsAre("started bad", "started long", "failed bad", "skipped down",
                                      "cancelled after", "succeeded long"));
}

TEST_F(ExecutorTest, KeepGoingFinishesIndependentBranches) {
  JobGraph g = Graph({{"bad", {}}, {"down", {0}}, {"a", {}}, {"b", {2}}, {"c", {1, 3}}});
  runner_.Script(0, {{.exit_code = 1}});
  RunOutcome out = RunGraph(g, {.parallelism = 1, .keep_going = true});
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.jobs[0].state, JobState::kFailed);
  EXPECT_EQ(out.jobs[1].state, JobState::kSkipped);
  EXPECT_EQ(out.jobs[2].state, JobState::kSucceeded);
  EXPECT_EQ(out.jobs[3].state, JobState::kSucceeded);
  EXPECT_EQ(out.jobs[4].state, JobState::kSkipped);
  EXPECT_EQ(out.jobs[4].reason, "upstream bad failed");
}

TEST_F(ExecutorTest, SatisfiedJobsAreCachedWithoutRunning) {
  JobGraph g = Graph({{"prep", {}}, {"train", {0}}});
  delegate_.satisfied = {0};
  RecordingObserver obs;
  RunOutcome out = RunGraph(g, {}, &obs);
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.jobs[0].state, JobState::kCached);
  EXPECT_EQ(out.jobs[0].reason, "cache hit");
  EXPECT_TRUE(StartTimes(0).empty());
  EXPECT_THAT(StartTimes(1), ElementsAre(0));
  EXPECT_THAT(obs.events, ElementsAre("cached prep", "started train", "succeeded train"));
}

TEST_F(ExecutorTest, PrepareErrorFailsJobWithoutRetry) {
  JobGraph g = Graph({{"a", {}}});
  g.jobs[0].max_attempts = 3;
  delegate_.prepare_errors[0] = InvalidArgumentError("input x missing");
  RunOutcome out = RunGraph(g);
  EXPECT_EQ(out.jobs[0].state, JobState::kFailed);
  EXPECT_EQ(out.jobs[0].reason, "input x missing");
  EXPECT_EQ(out.jobs[0].attempts, 1);
  EXPECT_TRUE(runner_.starts().empty());
}

TEST_F(ExecutorTest, FinishErrorFailsTheAttemptAndRetries) {
  JobGraph g = Graph({{"a", {}}});
  g.jobs[0].max_attempts = 2;
  g.jobs[0].backoff_ns = 1;
  delegate_.finish_errors[{0, 1}] = DataLossError("output model.bin missing");
  RunOutcome out = RunGraph(g);
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.jobs[0].attempts, 2);
  ASSERT_EQ(delegate_.failed_attempts.size(), 1u);
  EXPECT_TRUE(delegate_.failed_attempts[0].will_retry);
  // The command exited 0: the delegate hears the Finish error, not "exit 0".
  EXPECT_EQ(delegate_.failed_attempts[0].reason, "output model.bin missing");
}

TEST_F(ExecutorTest, SpawnFailureFailsJobWithItsMessage) {
  JobGraph g = Graph({{"a", {}}});
  runner_.Script(0, {{.spawn_error = "cannot run 'nosuch': not found in PATH"}});
  RunOutcome out = RunGraph(g);
  EXPECT_EQ(out.jobs[0].state, JobState::kFailed);
  EXPECT_EQ(out.jobs[0].reason, "cannot run 'nosuch': not found in PATH");
}

TEST_F(ExecutorTest, InterruptCancelsRunningAndPendingJobs) {
  JobGraph g = Graph({{"a", {}}, {"b", {}}, {"c", {0}}});
  runner_.SetDefault({.duration_ns = 10 * kSec});
  runner_.InterruptAt(kSec);
  RunOutcome out = RunGraph(g, {.parallelism = 2});
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.interrupted);
  EXPECT_EQ(runner_.abort_calls(), 1);
  for (int j = 0; j < 3; ++j) EXPECT_EQ(out.jobs[j].state, JobState::kCancelled) << j;
  EXPECT_EQ(out.jobs[0].reason, "interrupted by SIGINT");
  EXPECT_TRUE(out.jobs[0].result.cancelled);
  EXPECT_EQ(out.wall_ns, kSec);
}

TEST_F(ExecutorTest, InterruptDuringBackoffEndsTheRun) {
  JobGraph g = Graph({{"flaky", {}}});
  g.jobs[0].max_attempts = 2;
  g.jobs[0].backoff_ns = 100 * kSec;
  runner_.Script(0, {{.exit_code = 1}});
  runner_.InterruptAt(5 * kSec);
  RunOutcome out = RunGraph(g);
  EXPECT_TRUE(out.interrupted);
  EXPECT_EQ(out.jobs[0].state, JobState::kCancelled);
  EXPECT_EQ(out.wall_ns, 5 * kSec);
}

TEST_F(ExecutorTest, ObserverGetsTicksWhileWaiting) {
  JobGraph g = Graph({{"a", {}}});
  runner_.SetDefault({.duration_ns = 5 * kSec});
  RecordingObserver obs;
  RunOutcome out = RunGraph(g, {.tick_interval_ns = kSec}, &obs);
  EXPECT_TRUE(out.ok);
  EXPECT_GE(obs.ticks, 4);
  EXPECT_EQ(out.wall_ns, 5 * kSec);
}

TEST_F(ExecutorTest, RejectsInvalidGraph) {
  JobGraph g = Graph({{"a", {1}}, {"b", {0}}});
  auto out = Executor({.parallelism = 1, .clock = &clock_}).Run(g, delegate_, runner_);
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("cycle"));
}

TEST_F(ExecutorTest, EmptyGraphSucceeds) {
  RunOutcome out = RunGraph(JobGraph{});
  EXPECT_TRUE(out.ok);
}

TEST_F(ExecutorTest, ManyJobsRunQuickly) {
  JobGraph g;
  for (int i = 0; i < 1000; ++i) {
    JobSpec spec{.name = fmt::format("s{}", i)};
    if (i > 0) spec.deps = {i - 1};
    if (i > 1) spec.deps.push_back(i / 2);
    g.jobs.push_back(spec);
  }
  RunOutcome out = RunGraph(g, {.parallelism = 8});
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.Count(JobState::kSucceeded), 1000);
}

}  // namespace
}  // namespace mlpipe::exec
