// The executor's collect phase: JobDelegate::Collect on worker threads (real
// processes through LocalRunner) and inline (FakeRunner, fake clock).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "mlpipe/exec/executor.h"
#include "mlpipe/exec/fake_runner.h"
#include "mlpipe/exec/local_runner.h"
#include "mlpipe/exec/test_util.h"

namespace mlpipe::exec {
namespace {

JobLaunch TrueCommand() {
  JobLaunch launch;
  launch.command.argv = {"/bin/true"};
  return launch;
}

// Collect blocks (up to 10 s) until another job's Collect is in progress too,
// so a run only finishes quickly if collections overlap with each other.
class OverlapDelegate : public JobDelegate {
 public:
  StatusOr<JobLaunch> Prepare(int job, int attempt) override { return TrueCommand(); }
  bool HasCollect() const override { return true; }
  Status Collect(int job, int attempt, const CommandResult& result) override {
    std::unique_lock lock(mu_);
    collect_threads.insert(std::this_thread::get_id());
    ++in_collect_;
    max_in_collect = std::max(max_in_collect, in_collect_);
    cv_.notify_all();
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return max_in_collect >= 2; });
    --in_collect_;
    collected.insert(job);
    return fail_collect.count(job) ? InternalError("disk full") : OkStatus();
  }
  Status Finish(int job, int attempt, const CommandResult& result) override {
    std::lock_guard lock(mu_);
    finish_threads.insert(std::this_thread::get_id());
    finished_after_collect = finished_after_collect && collected.count(job) > 0;
    finished.insert(job);
    return OkStatus();
  }
  void AttemptFailed(int job, int attempt, const CommandResult& result, const std::string& reason,
                     bool will_retry) override {
    std::lock_guard lock(mu_);
    failed.insert(job);
  }

  std::set<int> fail_collect;
  std::set<std::thread::id> collect_threads, finish_threads;
  std::set<int> collected, finished, failed;
  int max_in_collect = 0;
  bool finished_after_collect = true;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int in_collect_ = 0;
};

TEST(ExecutorCollectTest, CollectRunsOnWorkersAndOverlapsWhileFinishStaysOnTheExecutorThread) {
  OverlapDelegate delegate;
  LocalRunner runner{LocalRunnerOptions{.watch_interrupts = false}};
  Executor executor(ExecutorOptions{.parallelism = 1, .collect_threads = 4});
  auto outcome = executor.Run(Independent(4), delegate, runner);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->ok) << outcome->error;
  EXPECT_EQ(delegate.finished.size(), 4u);
  // With -j1 a second job can only have run while the first collected: the
  // slot is free as soon as the process exits.
  EXPECT_GE(delegate.max_in_collect, 2);  // collections overlapped, not one wait per job
  EXPECT_EQ(delegate.collect_threads.count(std::this_thread::get_id()), 0u);
  EXPECT_EQ(delegate.finish_threads, std::set<std::thread::id>{std::this_thread::get_id()});
  EXPECT_TRUE(delegate.finished_after_collect);
}

TEST(ExecutorCollectTest, CollectErrorFailsTheJobAndFinishIsNotCalled) {
  OverlapDelegate delegate;
  delegate.fail_collect = {1};
  LocalRunner runner{LocalRunnerOptions{.watch_interrupts = false}};
  Executor executor(ExecutorOptions{.parallelism = 2, .keep_going = true, .collect_threads = 2});
  auto outcome = executor.Run(Independent(2), delegate, runner);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_FALSE(outcome->ok);
  EXPECT_EQ(outcome->jobs[1].state, JobState::kFailed);
  EXPECT_EQ(outcome->jobs[1].reason, "disk full");
  EXPECT_EQ(outcome->jobs[0].state, JobState::kSucceeded);
  EXPECT_EQ(delegate.finished, std::set<int>{0});
  EXPECT_EQ(delegate.failed, std::set<int>{1});
}

// Jobs whose delegate says their Collect is not worth a worker collect on the
// executor's thread even when there are workers.
class PerJobDelegate : public JobDelegate {
 public:
  StatusOr<JobLaunch> Prepare(int job, int attempt) override { return TrueCommand(); }
  bool HasCollect() const override { return true; }
  bool CollectOnWorker(int job) const override { return job % 2 == 0; }
  Status Collect(int job, int attempt, const CommandResult& result) override {
    std::lock_guard lock(mu_);
    collect_thread[job] = std::this_thread::get_id();
    return OkStatus();
  }
  Status Finish(int job, int attempt, const CommandResult& result) override { return OkStatus(); }
  std::map<int, std::thread::id> collect_thread;

 private:
  std::mutex mu_;
};

TEST(ExecutorCollectTest, AJobWhoseCollectIsNotWorthAWorkerCollectsOnTheExecutorThread) {
  PerJobDelegate delegate;
  LocalRunner runner{LocalRunnerOptions{.watch_interrupts = false}};
  Executor executor(ExecutorOptions{.parallelism = 2, .collect_threads = 2});
  auto outcome = executor.Run(Independent(4), delegate, runner);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->ok) << outcome->error;
  ASSERT_EQ(delegate.collect_thread.size(), 4u);
  for (int job = 0; job < 4; ++job) {
    EXPECT_EQ(delegate.collect_thread[job] == std::this_thread::get_id(), job % 2 == 1) << "job " << job;
  }
}

// Without worker threads Collect runs inline, right before Finish, and its
// error is retried like a Finish error.
class InlineDelegate : public JobDelegate {
 public:
  StatusOr<JobLaunch> Prepare(int job, int attempt) override {
    JobLaunch launch;
    launch.command.argv = {"step"};
    return launch;
  }
  bool HasCollect() const override { return true; }
  Status Collect(int job, int attempt, const CommandResult& result) override {
    calls.push_back("collect " + std::to_string(attempt));
    return attempt == 1 ? UnavailableError("fsync failed") : OkStatus();
  }
  Status Finish(int job, int attempt, const CommandResult& result) override {
    calls.push_back("finish " + std::to_string(attempt));
    return OkStatus();
  }
  std::vector<std::string> calls;
};

TEST(ExecutorCollectTest, InlineCollectPrecedesFinishAndItsErrorIsRetried) {
  FakeClock clock;
  FakeRunner runner(&clock);
  InlineDelegate delegate;
  JobGraph g;
  g.jobs.push_back(JobSpec{.name = "a", .max_attempts = 2, .backoff_ns = 1'000'000});
  Executor executor(ExecutorOptions{.parallelism = 1, .clock = &clock});
  auto outcome = executor.Run(g, delegate, runner);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_TRUE(outcome->ok);
  EXPECT_EQ(delegate.calls, (std::vector<std::string>{"collect 1", "collect 2", "finish 2"}));
}

}  // namespace
}  // namespace mlpipe::exec
