// The step spawner behind LocalRunner (spawner_client.h, spawner_main.cc):
// steps are its children, with the fds they were given and no others; a
// failed exec, a spawner that dies, a command too large for its socket and a
// spawner that cannot be found are each reported or worked around.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/exec/group_test_util.h"
#include "mlpipe/exec/interrupt.h"
#include "mlpipe/exec/local_runner.h"
#include "mlpipe/exec/spawner_client.h"
#include "mlpipe/exec/test_util.h"

namespace mlpipe::exec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

Command SpawnerTestSh(const std::string& script) { return Command{.argv = {"/bin/sh", "-c", script}}; }

class SpawnerTest : public ::testing::Test {
 protected:
  void SetUp() override { ClearInterrupt(); }
  CommandResult RunOne(LocalRunner& runner, const Command& command) {
    EXPECT_TRUE(runner.Start(3, command).ok());
    auto waited = runner.Wait(kNoDeadline);
    EXPECT_TRUE(waited.ok()) << waited.status().ToString();
    if (!waited.ok() || !waited->has_value()) return {};
    return (*waited)->second;
  }
  mlpipe::testing::TempDir tmp_{"spawner"};
  const std::string dir_ = tmp_.path();
};

TEST_F(SpawnerTest, StepsAreChildrenOfTheSpawner) {
  LocalRunner runner;
  Command c = SpawnerTestSh("echo $PPID");
  c.stdout_path = dir_ + "/ppid";
  CommandResult r = RunOne(runner, c);
  ASSERT_TRUE(r.ok()) << r.Describe() << " " << r.error;
  ASSERT_GT(runner.spawner_pid(), 0) << runner.spawner_status().ToString();
  EXPECT_TRUE(runner.spawner_status().ok());
  EXPECT_EQ(ReadFile(dir_ + "/ppid"), fmt::format("{}\n", runner.spawner_pid()));
  EXPECT_GT(r.cpu_ns + r.max_rss_bytes, 0);
}

TEST_F(SpawnerTest, TheSpawnerLoadsNoCxxRuntime) {
  LocalRunner runner;
  ASSERT_TRUE(RunOne(runner, SpawnerTestSh("true")).ok());
  ASSERT_GT(runner.spawner_pid(), 0);
  const std::string maps = ReadFile(fmt::format("/proc/{}/maps", runner.spawner_pid()));
  EXPECT_THAT(maps, HasSubstr("libc.so"));
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizers' runtimes load libstdc++ themselves; what the spawner's
  // own code links is checked by the builds without them.
  EXPECT_THAT(maps, HasSubstr("libasan"));
#else
  EXPECT_THAT(maps, Not(HasSubstr("libstdc++")));
#endif
}

TEST_F(SpawnerTest, StepsGetTheirStreamsAndNoOtherFds) {
  LocalRunner runner;
  // fd 0 is /dev/null (cat reads nothing), 1 and 2 are the log pipes.
  Command c = SpawnerTestSh("cat; echo out; echo err >&2");
  c.stdout_path = dir_ + "/out";
  c.stderr_path = dir_ + "/err";
  CommandResult r = RunOne(runner, c);
  ASSERT_TRUE(r.ok()) << r.Describe() << " " << r.error;
  ASSERT_GT(runner.spawner_pid(), 0);
  EXPECT_EQ(ReadFile(dir_ + "/out"), "out\n");
  EXPECT_EQ(ReadFile(dir_ + "/err"), "err\n");
  // The spawner adds no fd of its own (its socket, its signalfd, the
  // streams of other steps) to what a step forked by the runner itself
  // inherits (0, 1, 2, the folder ls reads, and what this test's own
  // parent left open without CLOEXEC).
  Command ls{.argv = {"ls", "/proc/self/fd"}, .stdout_path = dir_ + "/fds"};
  ASSERT_TRUE(RunOne(runner, ls).ok());
  LocalRunner direct{LocalRunnerOptions{.use_spawner = false}};
  ls.stdout_path = dir_ + "/direct-fds";
  ASSERT_TRUE(RunOne(direct, ls).ok());
  EXPECT_THAT(ReadFile(dir_ + "/fds"), HasSubstr("\n2\n"));
  EXPECT_EQ(ReadFile(dir_ + "/fds"), ReadFile(dir_ + "/direct-fds"));
}

TEST_F(SpawnerTest, AFailedExecIsReportedAndTheSpawnerCarriesOn) {
  const std::string bad = dir_ + "/not-a-program";
  std::ofstream(bad) << "\x01\x02\x03 garbage";
  ASSERT_EQ(chmod(bad.c_str(), 0755), 0);
  LocalRunner runner;
  CommandResult r = RunOne(runner, Command{.argv = {bad}});
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_EQ(r.error, fmt::format("cannot run '{}': Exec format error", bad));
  ASSERT_GT(runner.spawner_pid(), 0);
  EXPECT_TRUE(RunOne(runner, SpawnerTestSh("exit 0")).ok());
}

TEST_F(SpawnerTest, ASpawnerThatDiesIsAnErrorForItsStepsNotAHang) {
  LocalRunner runner;
  ASSERT_TRUE(runner.Start(1, SpawnerTestSh("sleep 30 & sleep 30")).ok());
  ASSERT_TRUE(runner.Start(2, SpawnerTestSh("sleep 30")).ok());
  const pid_t spawner = runner.spawner_pid();
  ASSERT_GT(spawner, 0);
  const std::vector<pid_t> groups = runner.pids();
  ASSERT_EQ(kill(spawner, SIGKILL), 0);
  for (int i = 0; i < 2; ++i) {
    auto waited = runner.Wait(kNoDeadline);
    ASSERT_TRUE(waited.ok() && waited->has_value());
    EXPECT_FALSE((*waited)->second.ok());
    EXPECT_THAT((*waited)->second.error,
                HasSubstr(fmt::format("the step spawner (pid {}) was killed by SIGKILL", spawner)));
  }
  for (pid_t g : groups) EXPECT_FALSE(GroupAlive(g)) << g;
  EXPECT_FALSE(runner.spawner_status().ok());
  // Later steps are forked by the runner itself.
  EXPECT_TRUE(RunOne(runner, SpawnerTestSh("exit 0")).ok());
  EXPECT_EQ(runner.spawner_pid(), -1);
}

TEST_F(SpawnerTest, WithoutASpawnerTheRunnerForksItself) {
  LocalRunner runner{LocalRunnerOptions{.spawner_path = dir_ + "/no-such-spawner"}};
  Command c = SpawnerTestSh("echo $PPID");
  c.stdout_path = dir_ + "/ppid";
  EXPECT_TRUE(RunOne(runner, c).ok());
  EXPECT_EQ(runner.spawner_pid(), -1);
  EXPECT_THAT(runner.spawner_status().message(), HasSubstr(dir_ + "/no-such-spawner"));
  EXPECT_EQ(ReadFile(dir_ + "/ppid"), fmt::format("{}\n", getpid()));
}

TEST_F(SpawnerTest, MlpipeSpawnOffMeansNoSpawner) {
  setenv("MLPIPE_SPAWN", "off", 1);
  LocalRunner runner;
  CommandResult r = RunOne(runner, SpawnerTestSh("exit 4"));
  unsetenv("MLPIPE_SPAWN");
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_EQ(runner.spawner_pid(), -1);
  EXPECT_THAT(runner.spawner_status().message(), HasSubstr("MLPIPE_SPAWN=off"));
}

TEST_F(SpawnerTest, ACommandTooLargeForTheSocketIsForkedHere) {
  LocalRunner runner;
  ASSERT_TRUE(RunOne(runner, SpawnerTestSh("true")).ok());
  ASSERT_GT(runner.spawner_pid(), 0);
  // 1.2 MB of arguments: more than one request may hold, less than ARG_MAX.
  Command c = SpawnerTestSh("echo $# $PPID");
  c.argv.push_back("sh");
  for (int i = 0; i < 1200; ++i) c.argv.push_back(std::string(1000, 'x'));
  c.stdout_path = dir_ + "/out";
  CommandResult r = RunOne(runner, c);
  ASSERT_TRUE(r.ok()) << r.Describe() << " " << r.error;
  EXPECT_EQ(ReadFile(dir_ + "/out"), fmt::format("1200 {}\n", getpid()));
  EXPECT_GT(runner.spawner_pid(), 0);  // still there for the next
}

TEST_F(SpawnerTest, StepsDieWithAKilledRunner) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  const pid_t child = fork();
  if (child == 0) {
    LocalRunner runner;
    pid_t pgid = -1;
    // The step's main process dies with the spawner (what it started may
    // not: the next run ends that, engine/step_processes.h), so one process.
    if (runner.Start(1, SpawnerTestSh("exec sleep 30")).ok() && runner.spawner_pid() > 0) pgid = runner.pids().at(0);
    [[maybe_unused]] ssize_t n = write(report[1], &pgid, sizeof pgid);
    pause();
    _exit(0);
  }
  close(report[1]);
  pid_t pgid = -1;
  ASSERT_EQ(read(report[0], &pgid, sizeof pgid), static_cast<ssize_t>(sizeof pgid));
  close(report[0]);
  ASSERT_GT(pgid, 0);
  ASSERT_EQ(kill(child, SIGKILL), 0);
  ASSERT_EQ(waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(GroupAlive(pgid));
}

}  // namespace
}  // namespace mlpipe::exec
