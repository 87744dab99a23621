#include "mlpipe/exec/slurm_runner.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "mlpipe/exec/interrupt.h"

namespace mlpipe::exec {
namespace {

// Slurm scripted: each submitted job runs for `runtime_ns` on the fake clock,
// then ends in the state the test gave it (COMPLETED exit 0 by default).
class FakeSlurm : public SlurmClient {
 public:
  explicit FakeSlurm(FakeClock* clock) : clock_(clock) {}

  StatusOr<std::string> Submit(const std::vector<std::string>& args, const std::string& script) override {
    if (!submit_error.empty()) return UnavailableError(submit_error);
    const std::string id = std::to_string(next_id_++);
    submitted.push_back({id, args, script});
    ends_[id] = clock_->MonotonicNanos() + runtime_ns;
    return id;
  }
  StatusOr<std::vector<SlurmJobState>> Query(const std::vector<std::string>& ids) override {
    queried.push_back(ids);
    std::vector<SlurmJobState> out;
    for (const std::string& id : ids) {
      if (forgotten.count(id)) continue;
      if (!ends_.count(id)) {  // not submitted here: an earlier runner's, running or long gone
        if (external_running.count(id)) out.push_back({id, "RUNNING", "None", -1});
        continue;
      }
      SlurmJobState s{id, "RUNNING", "None", -1};
      if (cancelled.count(id)) {
        s = {id, "CANCELLED", "None", 15};
      } else if (clock_->MonotonicNanos() >= ends_[id]) {
        auto it = final_state.find(id);
        s = it != final_state.end() ? it->second : SlurmJobState{id, "COMPLETED", "None", 0};
      }
      out.push_back(s);
    }
    return out;
  }
  Status Cancel(const std::vector<std::string>& ids) override {
    cancel_calls.push_back(ids);
    for (const auto& id : ids) cancelled[id] = true;
    return OkStatus();
  }

  struct Submitted {
    std::string id;
    std::vector<std::string> args;
    std::string script;
  };
  std::vector<Submitted> submitted;
  std::vector<std::vector<std::string>> queried;
  std::vector<std::vector<std::string>> cancel_calls;
  std::map<std::string, SlurmJobState> final_state;
  std::map<std::string, bool> cancelled;
  std::map<std::string, bool> forgotten;
  std::map<std::string, bool> external_running;
  std::string submit_error;
  int64_t runtime_ns = 2'000'000'000;

 private:
  FakeClock* clock_;
  std::map<std::string, int64_t> ends_;  // when each job ends, on the clock
  int next_id_ = 100;
};

class SlurmRunnerTest : public ::testing::Test {
 protected:
  SlurmRunnerTest() : slurm_(&clock_) {
    options_.clock = &clock_;
    options_.partition = "debug";
    options_.watch_interrupts = false;
  }
  Command Cmd(std::vector<std::string> argv) {
    Command c;
    c.argv = std::move(argv);
    return c;
  }
  // Waits for every started job; results by job.
  std::map<int, CommandResult> WaitAll(SlurmRunner& runner) {
    std::map<int, CommandResult> out;
    while (runner.running() > 0) {
      auto r = runner.Wait(kNoDeadline);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) break;
      if (r->has_value()) out[(*r)->first] = (*r)->second;
    }
    return out;
  }

  FakeClock clock_;
  FakeSlurm slurm_;
  SlurmRunnerOptions options_;
};

TEST(SlurmScriptTest, EntersTheFolderAndExecsTheCommandWithExactlyItsEnvironmentQuoted) {
  Command c;
  c.argv = {"python3", "it's.py", "a b"};
  c.env = {"PATH=/usr/bin", "X=$(touch no)"};
  c.cwd = "/runs/1/w";
  EXPECT_EQ(SlurmBatchScript(c),
            "#!/bin/sh\n# a step of an mlpipe run\ncd '/runs/1/w' || exit 127\n"
            "exec env -i 'PATH=/usr/bin' 'X=$(touch no)' 'python3' 'it'\\''s.py' 'a b'\n");
}

TEST(SlurmScriptTest, ASecretsValueIsTakenFromTheJobsEnvironmentNotWrittenInTheScript) {
  Command c;
  c.argv = {"sh", "-c", "echo \"[$PGPASSWORD] [${AWS_SESSION_TOKEN-unset}] $PATH\""};
  c.env = {"PATH=/usr/bin:/bin", "PGPASSWORD=hunter2", "AWS_SESSION_TOKEN=t0k"};
  const std::string script = SlurmBatchScript(c);
  EXPECT_EQ(script.find("hunter2"), std::string::npos) << script;
  EXPECT_EQ(script.find("t0k"), std::string::npos) << script;
  // Run as a job would: the job's environment has the one, not the other.
  const std::string path = ::testing::TempDir() + "/slurm_secret_script.sh";
  std::ofstream(path) << script;
  FILE* p = popen(fmt::format("env -i PGPASSWORD='from the job' /bin/sh {}", path).c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[256] = {};
  const size_t n = fread(buf, 1, sizeof buf - 1, p);
  pclose(p);
  EXPECT_EQ(std::string(buf, n), "[from the job] [unset] /usr/bin:/bin\n");
}

TEST(SlurmScriptTest, ResourcesTimeoutLogsAndPartitionBecomeSbatchArguments) {
  Command c;
  c.argv = {"true"};
  c.name = "train";
  c.cwd = "/w";
  c.stdout_path = "/logs/out";
  c.cpus = 2;
  c.memory_bytes = 1536LL << 20;
  c.timeout_ns = 60'500'000'000;  // 60.5 s: 61 whole seconds
  SlurmRunnerOptions o;
  o.partition = "gpu";
  o.account = "ml";
  o.sbatch_args = {"--qos=low"};
  EXPECT_EQ(SbatchArgs(c, 7, o), (std::vector<std::string>{
                                     "--job-name=mlpipe-train", "--output=/logs/out", "--error=/dev/null",
                                     "--open-mode=truncate", "--chdir=/w", "--cpus-per-task=2", "--mem=1536M",
                                     "--time=1:01", "--partition=gpu", "--account=ml", "--qos=low"}));
}

TEST(SlurmScriptTest, FinishedStatesMapToTheResultsOfALocalProcess) {
  EXPECT_TRUE(ResultOfSlurmJob({"1", "COMPLETED", "None", 0}, 0).ok());
  EXPECT_EQ(ResultOfSlurmJob({"1", "FAILED", "NonZeroExitCode", 7 << 8}, 0).exit_code, 7);
  EXPECT_EQ(ResultOfSlurmJob({"1", "FAILED", "None", 9}, 0).term_signal, SIGKILL);
  CommandResult timeout = ResultOfSlurmJob({"1", "TIMEOUT", "TimeLimit", 15}, 60'000'000'000);
  EXPECT_TRUE(timeout.timed_out);
  EXPECT_EQ(timeout.Describe(), "timed out after 1m00s");
  CommandResult oom = ResultOfSlurmJob({"1", "OUT_OF_MEMORY", "OutOfMemory", 9}, 0);
  EXPECT_FALSE(oom.ok());
  EXPECT_NE(oom.error.find("out of memory"), std::string::npos) << oom.error;
  CommandResult not_launched = ResultOfSlurmJob({"4", "FAILED", "JobLaunchFailure", 53}, 0);
  EXPECT_NE(not_launched.error.find("could not launch job 4"), std::string::npos) << not_launched.error;
  EXPECT_NE(ResultOfSlurmJob({"1", "NODE_FAIL", "NodeDown", -1}, 0).error.find("NODE_FAIL"),
            std::string::npos);
}

TEST(SlurmScriptTest, SqueueLinesAreParsed) {
  auto states =
      ParseSqueue("1|FAILED|NonZeroExitCode|1792|\n3|FAILED    |JobLaunchFailure|9|\n2|RUNNING|None|0|\n");
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[0].id, "1");
  EXPECT_EQ(states[0].wait_status, 1792);
  EXPECT_EQ(states[1].state, "FAILED");
  EXPECT_EQ(states[2].state, "RUNNING");
}

TEST_F(SlurmRunnerTest, ManyJobsInFlightAreQueriedInOneCallPerPoll) {
  SlurmRunner runner(slurm_, options_);
  for (int job = 0; job < 50; ++job) ASSERT_TRUE(runner.Start(job, Cmd({"true"})).ok());
  auto results = WaitAll(runner);
  EXPECT_EQ(results.size(), 50u);
  for (const auto& [job, r] : results) EXPECT_TRUE(r.ok()) << job << ": " << r.Describe();
  // Each query asked for every job still in flight, and there were as many
  // queries as polls, not as jobs.
  ASSERT_FALSE(slurm_.queried.empty());
  EXPECT_EQ(slurm_.queried.front().size(), 50u);
  EXPECT_LT(runner.queries(), 50);
  EXPECT_EQ(runner.queries(), static_cast<int>(slurm_.queried.size()));
}

TEST_F(SlurmRunnerTest, ExitCodesAndTimeoutsComeBackPerJob) {
  SlurmRunner runner(slurm_, options_);
  ASSERT_TRUE(runner.Start(0, Cmd({"ok"})).ok());
  ASSERT_TRUE(runner.Start(1, Cmd({"fails"})).ok());
  Command slow = Cmd({"slow"});
  slow.timeout_ns = 60'000'000'000;
  ASSERT_TRUE(runner.Start(2, slow).ok());
  slurm_.final_state["101"] = {"101", "FAILED", "NonZeroExitCode", 3 << 8};
  slurm_.final_state["102"] = {"102", "TIMEOUT", "TimeLimit", 15};
  auto results = WaitAll(runner);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].exit_code, 3);
  EXPECT_TRUE(results[2].timed_out);
  EXPECT_EQ(results[2].timeout_ns, 60'000'000'000);
  EXPECT_NE(slurm_.submitted[2].args.end(),
            std::find(slurm_.submitted[2].args.begin(), slurm_.submitted[2].args.end(), "--time=1:00"));
}

TEST_F(SlurmRunnerTest, ASubmissionThatFailsIsReportedAsAStartFailure) {
  slurm_.submit_error = "sbatch failed: sbatch: error: invalid partition specified: nosuch";
  SlurmRunner runner(slurm_, options_);
  ASSERT_TRUE(runner.Start(0, Cmd({"true"})).ok());
  auto results = WaitAll(runner);
  EXPECT_FALSE(results[0].ok());
  EXPECT_NE(results[0].error.find("invalid partition"), std::string::npos) << results[0].error;
}

TEST_F(SlurmRunnerTest, AJobSlurmForgetsIsReportedNotWaitedForForever) {
  SlurmRunner runner(slurm_, options_);
  ASSERT_TRUE(runner.Start(0, Cmd({"true"})).ok());
  slurm_.forgotten["100"] = true;
  auto results = WaitAll(runner);
  EXPECT_NE(results[0].error.find("no longer knows job 100"), std::string::npos) << results[0].error;
}

TEST_F(SlurmRunnerTest, AbortAllCancelsEveryJobInOneCallAndReportsThemCancelled) {
  slurm_.runtime_ns = 3'600'000'000'000;
  SlurmRunner runner(slurm_, options_);
  for (int job = 0; job < 3; ++job) ASSERT_TRUE(runner.Start(job, Cmd({"sleep"})).ok());
  runner.AbortAll();
  ASSERT_EQ(slurm_.cancel_calls.size(), 1u);
  EXPECT_EQ(slurm_.cancel_calls[0], (std::vector<std::string>{"100", "101", "102"}));
  auto results = WaitAll(runner);
  ASSERT_EQ(results.size(), 3u);
  for (const auto& [job, r] : results) EXPECT_TRUE(r.cancelled) << job;
}

TEST_F(SlurmRunnerTest, TheJobsAKilledRunnerLeftAreCancelledByTheNextOne) {
  const std::string record = ::testing::TempDir() + "/slurm_runner_test.jobs";
  std::remove(record.c_str());
  options_.jobs_record = record;
  // What a runner killed with -9 leaves: the ids it recorded, never emptied.
  std::ofstream(record) << "7\n8\n";
  slurm_.external_running["8"] = true;  // 7 has ended since
  EXPECT_TRUE(slurm_.cancel_calls.empty());
  SlurmRunner next(slurm_, options_);
  EXPECT_EQ(next.left_behind(), (std::vector<std::string>{"8"}));
  ASSERT_EQ(slurm_.cancel_calls.size(), 1u);
  EXPECT_EQ(slurm_.cancel_calls[0], (std::vector<std::string>{"8"}));
  // Its own jobs are recorded (and only they), and the record is empty once it ends.
  ASSERT_TRUE(next.Start(0, Cmd({"true"})).ok());
  std::ifstream during(record);
  std::string line;
  std::getline(during, line);
  EXPECT_EQ(line, "100");
  EXPECT_FALSE(std::getline(during, line));
  WaitAll(next);
}

TEST_F(SlurmRunnerTest, CommandsStartedTogetherRunAsGroupsEachReportedByItsOwnStatus) {
  const std::string scratch = ::testing::TempDir() + "/slurm_groups";
  std::filesystem::remove_all(scratch);
  options_.group_max = 3;
  options_.scratch_dir = scratch;
  SlurmRunner runner(slurm_, options_);
  for (int job = 0; job < 5; ++job) {
    Command c = Cmd({"step", std::to_string(job)});
    c.name = "s" + std::to_string(job);
    if (job == 4) c.timeout_ns = 2'000'000'000;
    ASSERT_TRUE(runner.Start(job, c).ok());
  }
  EXPECT_EQ(slurm_.submitted.size(), 1u);  // the first three, as soon as the group was full
  // The group's script runs each command and writes its status.
  const std::string& script = slurm_.submitted[0].script;
  EXPECT_NE(script.find("'step' '0'"), std::string::npos) << script;
  EXPECT_NE(script.find("/group-1.2.status"), std::string::npos) << script;
  EXPECT_NE(
      std::find(slurm_.submitted[0].args.begin(), slurm_.submitted[0].args.end(), "--job-name=mlpipe-s0+2"),
      slurm_.submitted[0].args.end());
  // What the nodes wrote: job 0 exit 0, job 1 exit 3, job 2 nothing (its
  // group's job ended first); job 3 exit 0, job 4 killed at its timeout.
  std::filesystem::create_directories(scratch);
  std::ofstream(scratch + "/group-1.0.status") << "0\n";
  std::ofstream(scratch + "/group-1.1.status") << "3\n";
  std::ofstream(scratch + "/group-2.3.status") << "0\n";
  std::ofstream(scratch + "/group-2.4.status") << "124\n";
  auto results = WaitAll(runner);
  EXPECT_EQ(slurm_.submitted.size(), 2u);  // the other two when the runner was waited on
  EXPECT_NE(slurm_.submitted[1].script.find("timeout -k 5 2s"), std::string::npos)
      << slurm_.submitted[1].script;
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].exit_code, 3);
  EXPECT_NE(results[2].error.find("of its group ended COMPLETED"), std::string::npos) << results[2].error;
  EXPECT_TRUE(results[3].ok());
  EXPECT_TRUE(results[4].timed_out);
  EXPECT_EQ(runner.submitted(), 2);
}

TEST_F(SlurmRunnerTest, AWaitReturnsAtItsDeadlineAndOnInterrupt) {
  slurm_.runtime_ns = 3'600'000'000'000;
  options_.watch_interrupts = true;
  SlurmRunner runner(slurm_, options_);
  ASSERT_TRUE(runner.Start(0, Cmd({"sleep"})).ok());
  auto none = runner.Wait(clock_.MonotonicNanos() + 1'000'000'000);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  RequestInterrupt(SIGINT);
  auto interrupted = runner.Wait(kNoDeadline);
  ClearInterrupt();
  EXPECT_EQ(interrupted.status().code(), StatusCode::kCancelled);
  runner.AbortAll();
}

}  // namespace
}  // namespace mlpipe::exec
