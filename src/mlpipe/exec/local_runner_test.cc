// Real-process tests of LocalRunner (and of the Executor driving it). They
// spawn /bin/sh and sleep, so they take a few seconds in all; every timing
// assertion is loose.
#include "mlpipe/exec/local_runner.h"

#include <dirent.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/exec/executor.h"
#include "mlpipe/exec/group_test_util.h"
#include "mlpipe/exec/interrupt.h"
#include "mlpipe/exec/test_util.h"

namespace mlpipe::exec {
namespace {

using ::testing::HasSubstr;

Command Sh(const std::string& script) { return Command{.argv = {"/bin/sh", "-c", script}}; }

class LocalRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ClearInterrupt();
  }
  void TearDown() override { ClearInterrupt(); }
  // Runs one command to completion.
  CommandResult RunOne(LocalRunner& runner, const Command& command) {
    EXPECT_TRUE(runner.Start(7, command).ok());
    auto waited = runner.Wait(kNoDeadline);
    EXPECT_TRUE(waited.ok()) << waited.status().ToString();
    if (!waited.ok() || !waited->has_value()) return {};
    EXPECT_EQ((*waited)->first, 7);
    return (*waited)->second;
  }
  mlpipe::testing::TempDir tmp_{"exec"};
  const std::string dir_ = tmp_.path();
};

TEST_F(LocalRunnerTest, ReportsExitCodes) {
  LocalRunner runner;
  CommandResult ok = RunOne(runner, Sh("exit 0"));
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.Describe(), "exit 0");
  CommandResult bad = RunOne(runner, Sh("exit 3"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_EQ(bad.Describe(), "exit 3");
  EXPECT_EQ(runner.running(), 0u);
}

TEST_F(LocalRunnerTest, ReportsDeathBySignal) {
  LocalRunner runner;
  CommandResult r = RunOne(runner, Sh("kill -KILL $$"));
  EXPECT_EQ(r.term_signal, SIGKILL);
  EXPECT_EQ(r.Describe(), "killed by SIGKILL");
}

TEST_F(LocalRunnerTest, CapturesStdoutAndStderrToFiles) {
  LocalRunner runner;
  Command c = Sh("echo out; echo err >&2; cat");  // cat: stdin must be /dev/null, not the terminal
  c.stdout_path = dir_ + "/out.txt";
  c.stderr_path = dir_ + "/err.txt";
  EXPECT_TRUE(RunOne(runner, c).ok());
  EXPECT_EQ(ReadFile(c.stdout_path), "out\n");
  EXPECT_EQ(ReadFile(c.stderr_path), "err\n");
}

TEST_F(LocalRunnerTest, SameFileForStdoutAndStderrKeepsBoth) {
  LocalRunner runner;
  Command c = Sh("echo one; echo two >&2");
  c.stdout_path = c.stderr_path = dir_ + "/log.txt";
  EXPECT_TRUE(RunOne(runner, c).ok());
  EXPECT_EQ(ReadFile(c.stdout_path), "one\ntwo\n");
}

TEST_F(LocalRunnerTest, AppliesEnvironmentAndWorkingDirectory) {
  LocalRunner runner;
  Command c = Sh("echo \"$FOO\"; pwd; echo \"${HOME:-unset}\"");
  c.env = {"FOO=bar baz", "PATH=/usr/bin:/bin"};
  c.cwd = dir_;
  c.stdout_path = dir_ + "/out.txt";
  EXPECT_TRUE(RunOne(runner, c).ok());
  char real[PATH_MAX];
  ASSERT_NE(realpath(dir_.c_str(), real), nullptr);
  EXPECT_EQ(ReadFile(c.stdout_path), "bar baz\n" + std::string(real) + "\nunset\n");
}

TEST_F(LocalRunnerTest, ResolvesProgramInTheCommandsPath) {
  std::ofstream(dir_ + "/hello-step") << "#!/bin/sh\necho hi from step\n";
  ASSERT_EQ(chmod((dir_ + "/hello-step").c_str(), 0755), 0);
  LocalRunner runner;
  Command c{.argv = {"hello-step"}, .env = {"PATH=" + dir_ + ":/usr/bin:/bin"}};
  c.stdout_path = dir_ + "/out.txt";
  CommandResult r = RunOne(runner, c);
  EXPECT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(ReadFile(c.stdout_path), "hi from step\n");
}

TEST_F(LocalRunnerTest, MissingProgramGivesClearError) {
  LocalRunner runner;
  CommandResult r = RunOne(runner, Command{.argv = {"no-such-program-xyz"}});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Describe(), "cannot run 'no-such-program-xyz': not found in PATH");
  CommandResult abs = RunOne(runner, Command{.argv = {dir_ + "/missing"}});
  EXPECT_THAT(abs.Describe(), HasSubstr("No such file or directory"));
  EXPECT_THAT(abs.Describe(), HasSubstr("cannot run '" + dir_ + "/missing'"));
}

TEST_F(LocalRunnerTest, MissingWorkingDirectoryOrOutputDirGivesClearError) {
  LocalRunner runner;
  Command c = Sh("true");
  c.cwd = dir_ + "/nope";
  EXPECT_THAT(RunOne(runner, c).Describe(), HasSubstr("working directory '" + dir_ + "/nope'"));
  // A log file whose folder cannot be made: the step's bytes have nowhere to go.
  std::ofstream(dir_ + "/plain-file") << "x";
  Command d = Sh("echo hi");
  d.stdout_path = dir_ + "/plain-file/out.txt";
  CommandResult r = RunOne(runner, d);
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.Describe(), HasSubstr("cannot write log file '" + dir_ + "/plain-file/out.txt'"));
}

TEST_F(LocalRunnerTest, LogFileAndItsFolderAreMadeOnlyWhenTheStreamWrites) {
  LocalRunner runner;
  Command c = Sh("echo only-stderr >&2");
  c.stdout_path = dir_ + "/step/attempt-1.stdout.log";
  c.stderr_path = dir_ + "/step/attempt-1.stderr.log";
  EXPECT_TRUE(RunOne(runner, c).ok());
  EXPECT_EQ(ReadFile(c.stderr_path), "only-stderr\n");
  EXPECT_FALSE(std::filesystem::exists(c.stdout_path));  // a silent stream leaves no file

  Command silent = Sh("true");
  silent.stdout_path = dir_ + "/quiet/out.log";
  silent.stderr_path = dir_ + "/quiet/err.log";
  EXPECT_TRUE(RunOne(runner, silent).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/quiet"));
}

TEST_F(LocalRunnerTest, CapturesMoreThanAPipeHoldsWhileTheCommandRuns) {
  LocalRunner runner;
  // 3 MB on stdout and 1 MB on stderr: far beyond a pipe's 64 KiB, so the
  // runner must copy while the command runs or the command would block.
  Command c = Sh("head -c 3000000 /dev/zero | tr '\\0' o; head -c 1000000 /dev/zero | tr '\\0' e >&2");
  c.stdout_path = dir_ + "/out.txt";
  c.stderr_path = dir_ + "/err.txt";
  CommandResult r = RunOne(runner, c);
  EXPECT_TRUE(r.ok()) << r.Describe();
  std::string out = ReadFile(c.stdout_path), err = ReadFile(c.stderr_path);
  EXPECT_EQ(out.size(), 3000000u);
  EXPECT_EQ(err.size(), 1000000u);
  EXPECT_EQ(out.find_first_not_of('o'), std::string::npos);
  EXPECT_EQ(err.find_first_not_of('e'), std::string::npos);
}

TEST_F(LocalRunnerTest, ABackgroundProcessHoldingTheLogPipeDoesNotDelayTheResult) {
  LocalRunnerOptions options;
  options.kill_group_on_exit = false;  // the sleeper outlives the step and keeps stdout open
  LocalRunner runner(options);
  Command c = Sh("sleep 5 & echo $! > " + dir_ + "/sleeper.pid; echo started");
  c.stdout_path = dir_ + "/out.txt";
  c.stderr_path = dir_ + "/err.txt";  // not the test's own stderr, which ctest reads to its end
  CommandResult r = RunOne(runner, c);
  EXPECT_TRUE(r.ok()) << r.Describe();
  EXPECT_EQ(ReadFile(c.stdout_path), "started\n");
  pid_t sleeper = static_cast<pid_t>(std::stol(fmt::format("0{}", ReadFile(dir_ + "/sleeper.pid"))));
  EXPECT_GT(sleeper, 0);
  // The result came while the sleeper still held the pipe: it was not waited for.
  EXPECT_TRUE(sleeper > 0 && kill(sleeper, 0) == 0) << "the result waited for the background process";
  if (sleeper > 0) kill(sleeper, SIGKILL);
}

TEST_F(LocalRunnerTest, RejectsEmptyCommandAndDuplicateJob) {
  LocalRunner runner;
  EXPECT_EQ(runner.Start(1, Command{}).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(runner.Start(1, Sh("sleep 5")).ok());
  EXPECT_EQ(runner.Start(1, Sh("true")).code(), StatusCode::kInvalidArgument);
  runner.AbortAll();
}

TEST_F(LocalRunnerTest, RecordsCpuTimeAndPeakMemory) {
  LocalRunner runner;
  CommandResult r = RunOne(runner, Sh("i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done"));
  EXPECT_TRUE(r.ok());
  EXPECT_GT(r.cpu_ns, 0);
  EXPECT_GT(r.max_rss_bytes, 100 * 1024);
  EXPECT_GE(r.wall_ns, r.cpu_ns / 2);
}

void ExpectTimeoutKillsGroup(LocalRunnerOptions options) {
  options.kill_grace_ns = 200 * kMs;
  LocalRunner runner(options);
  Command c = Sh("sleep 100 & sleep 100");
  c.timeout_ns = 200 * kMs;
  ASSERT_TRUE(runner.Start(0, c).ok());
  pid_t pgid = runner.pids().at(0);
  auto waited = runner.Wait(kNoDeadline);
  ASSERT_TRUE(waited.ok() && waited->has_value());
  const CommandResult& r = (*waited)->second;
  EXPECT_TRUE(r.timed_out);  // not the end of `sleep 100`
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Describe(), "timed out after 200ms");
  EXPECT_FALSE(GroupAlive(pgid)) << "a process of the step survived its timeout";
}

TEST_F(LocalRunnerTest, TimeoutKillsTheWholeProcessGroup) { ExpectTimeoutKillsGroup({}); }

TEST_F(LocalRunnerTest, TimeoutKillsTheWholeProcessGroupWithSigchldFallback) {
  ExpectTimeoutKillsGroup({.use_pidfd = false});
}

TEST_F(LocalRunnerTest, TermIgnoringStepIsKilledAfterGrace) {
  LocalRunner runner({.kill_grace_ns = 200 * kMs});
  Command c = Sh("trap '' TERM; sleep 100 & sleep 100");
  c.timeout_ns = 100 * kMs;
  ASSERT_TRUE(runner.Start(0, c).ok());
  pid_t pgid = runner.pids().at(0);
  auto waited = runner.Wait(kNoDeadline);
  ASSERT_TRUE(waited.ok() && waited->has_value());
  EXPECT_TRUE((*waited)->second.timed_out);
  EXPECT_EQ((*waited)->second.term_signal, SIGKILL);
  EXPECT_FALSE(GroupAlive(pgid));
}

TEST_F(LocalRunnerTest, LeftoverBackgroundProcessesAreKilledWhenTheStepExits) {
  LocalRunner runner;
  ASSERT_TRUE(runner.Start(0, Sh("sleep 100 & exit 0")).ok());
  pid_t pgid = runner.pids().at(0);
  auto waited = runner.Wait(kNoDeadline);
  ASSERT_TRUE(waited.ok() && waited->has_value());
  EXPECT_TRUE((*waited)->second.ok());
  EXPECT_FALSE(GroupAlive(pgid));
}

TEST_F(LocalRunnerTest, LeftoversSurviveWhenGroupKillIsOff) {
  LocalRunner runner({.kill_group_on_exit = false});
  ASSERT_TRUE(runner.Start(0, Sh("sleep 100 & exit 0")).ok());
  pid_t pgid = runner.pids().at(0);
  auto waited = runner.Wait(kNoDeadline);
  ASSERT_TRUE(waited.ok() && waited->has_value());
  EXPECT_TRUE(LiveMemberOfGroup(pgid));  // proves GroupAlive can see a survivor
  killpg(pgid, SIGKILL);
  EXPECT_FALSE(GroupAlive(pgid));
}

TEST_F(LocalRunnerTest, WaitReturnsNulloptAtTheDeadline) {
  LocalRunner runner;
  ASSERT_TRUE(runner.Start(0, Sh("sleep 100")).ok());
  int64_t t0 = RealClock().MonotonicNanos();
  auto waited = runner.Wait(t0 + 50 * kMs);
  ASSERT_TRUE(waited.ok());
  EXPECT_FALSE(waited->has_value());
  EXPECT_GE(RealClock().MonotonicNanos() - t0, 50 * kMs);
  pid_t pgid = runner.pids().at(0);
  runner.AbortAll();
  EXPECT_FALSE(GroupAlive(pgid));
  auto aborted = runner.Wait(kNoDeadline);
  ASSERT_TRUE(aborted.ok() && aborted->has_value());
  EXPECT_TRUE((*aborted)->second.cancelled);
  EXPECT_EQ((*aborted)->second.Describe(), "cancelled");
  EXPECT_EQ(runner.running(), 0u);
}

TEST_F(LocalRunnerTest, WaitWithNothingToWaitForFails) {
  LocalRunner runner;
  EXPECT_EQ(runner.Wait(kNoDeadline).status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(LocalRunnerTest, InterruptMakesWaitReturnCancelled) {
  LocalRunner runner;
  ASSERT_TRUE(runner.Start(0, Sh("sleep 100")).ok());
  RequestInterrupt(SIGTERM);
  auto waited = runner.Wait(kNoDeadline);
  EXPECT_EQ(waited.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(waited.status().message(), "interrupted by SIGTERM");
  runner.AbortAll();
  EXPECT_TRUE(runner.Wait(kNoDeadline).ok());  // the aborted result comes before the interrupt
}

TEST_F(LocalRunnerTest, SignalHandlerRecordsTheSignal) {
  ASSERT_TRUE(InstallInterruptHandlers().ok());
  raise(SIGINT);
  EXPECT_TRUE(InterruptRequested());
  EXPECT_EQ(InterruptSignal(), SIGINT);
  ClearInterrupt();
  EXPECT_FALSE(InterruptRequested());
}

// ---- The executor on real processes. ----

class CommandDelegate : public JobDelegate {
 public:
  explicit CommandDelegate(std::vector<Command> commands) : commands_(std::move(commands)) {}
  StatusOr<JobLaunch> Prepare(int job, int attempt) override {
    return JobLaunch{.kind = JobLaunch::kRun, .command = commands_[job]};
  }
  Status Finish(int job, int attempt, const CommandResult& result) override { return OkStatus(); }

 private:
  std::vector<Command> commands_;
};

// Runs four sleeps, each leaving a file while it sleeps, and returns how many
// of them were seen sleeping at once (counted by the sleepers themselves, so
// a loaded machine cannot change the answer).
int MostSleepingAtOnce(const std::string& dir, int parallelism) {
  LocalRunner runner;
  std::vector<Command> sleeps;
  for (int i = 0; i < 4; ++i) {
    // Enter: leave a file; wait 1 s for the others; count who is in; leave.
    sleeps.push_back(Sh(fmt::format("touch {0}/in{1}; sleep 1; ls {0} | grep -c '^in' > {0}/seen{1}; "
                                    "sleep 1; rm {0}/in{1}",
                                    dir, i)));
  }
  CommandDelegate delegate(sleeps);
  auto outcome = Executor({.parallelism = parallelism}).Run(Independent(4), delegate, runner);
  EXPECT_TRUE(outcome.ok() && outcome->ok);
  int most = 0;
  for (int i = 0; i < 4; ++i) most = std::max(most, std::stoi(fmt::format("0{}", ReadFile(fmt::format("{}/seen{}", dir, i)))));
  return most;
}

TEST_F(LocalRunnerTest, FourSleepsAtParallelismFourRunAtOnce) { EXPECT_EQ(MostSleepingAtOnce(dir_, 4), 4); }

TEST_F(LocalRunnerTest, FourSleepsAtParallelismTwoNeverRunMoreThanTwo) {
  EXPECT_EQ(MostSleepingAtOnce(dir_, 2), 2);
}

// Interrupts the run once `count` steps have started, and remembers their groups.
class InterruptAfterStarts : public ExecObserver {
 public:
  InterruptAfterStarts(LocalRunner& runner, int count) : runner_(runner), count_(count) {}
  void OnEvent(const JobEvent& e) override {
    if (e.kind == JobEvent::Kind::kStarted && ++started_ == count_) {
      pgids = runner_.pids();
      interrupted_at = RealClock().MonotonicNanos();
      RequestInterrupt(SIGINT);
    }
  }
  std::vector<pid_t> pgids;
  int64_t interrupted_at = 0;

 private:
  LocalRunner& runner_;
  int count_;
  int started_ = 0;
};

TEST_F(LocalRunnerTest, InterruptAbortsEveryStepWithinASecond) {
  LocalRunner runner;
  // A step that ignores SIGTERM must still die (SIGKILL after the short grace).
  CommandDelegate delegate({Sh("sleep 100 & sleep 100"), Sh("trap '' TERM; sleep 100 & sleep 100"),
                            Sh("sleep 100"), Sh("sleep 100")});
  JobGraph g = Independent(4);
  g.jobs[3].deps = {0};
  InterruptAfterStarts observer(runner, 3);
  auto outcome = Executor({.parallelism = 3}).Run(g, delegate, runner, &observer);
  int64_t done_at = RealClock().MonotonicNanos();
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->interrupted);
  EXPECT_FALSE(outcome->ok);
  EXPECT_LT(done_at - observer.interrupted_at, 1 * kSec);
  ASSERT_EQ(observer.pgids.size(), 3u);
  for (pid_t pgid : observer.pgids) EXPECT_FALSE(GroupAlive(pgid)) << pgid;
  for (const JobOutcome& j : outcome->jobs) {
    EXPECT_EQ(j.state, JobState::kCancelled);
    EXPECT_EQ(j.reason, "interrupted by SIGINT");
  }
  EXPECT_EQ(runner.running(), 0u);
}

}  // namespace
}  // namespace mlpipe::exec
