#include "mlpipe/exec/progress.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mlpipe/base/strings.h"
#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/exec/executor.h"
#include "mlpipe/exec/fake_runner.h"
#include "mlpipe/exec/test_util.h"

namespace mlpipe::exec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

JobGraph ThreeSteps() {
  JobGraph g;
  g.jobs = {JobSpec{.name = "prep"}, JobSpec{.name = "train", .deps = {0}},
            JobSpec{.name = "eval", .deps = {1}}};
  return g;
}

JobEvent Event(JobEvent::Kind kind, int job, std::string reason = "") {
  JobEvent e;
  e.kind = kind;
  e.job = job;
  e.attempt = 1;
  e.reason = std::move(reason);
  return e;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> lines = Split(s, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// Runs every job; the fake runner's script decides how each attempt ends.
class AlwaysRunJobs : public JobDelegate {
 public:
  StatusOr<JobLaunch> Prepare(int job, int attempt) override {
    return JobLaunch{.kind = JobLaunch::kRun, .command = Command{.argv = {"x"}}};
  }
  Status Finish(int, int, const CommandResult&) override { return OkStatus(); }
};

class ProgressTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  std::ostringstream out_;
  JobGraph graph_ = ThreeSteps();
  mlpipe::testing::TempDir tmp_{"exec"};
  const std::string dir_ = tmp_.path();
};

TEST_F(ProgressTest, PlainModePrintsOneLinePerEvent) {
  ProgressPrinter p(out_, {.mode = ProgressMode::kPlain, .clock = &clock_, .summary = false});
  p.OnRunStarted(graph_);
  p.OnEvent(Event(JobEvent::Kind::kCached, 0, "cache hit"));
  p.OnEvent(Event(JobEvent::Kind::kStarted, 1));
  JobEvent done = Event(JobEvent::Kind::kSucceeded, 1);
  done.wall_ns = 1'200'000'000;
  p.OnEvent(done);
  p.OnEvent(Event(JobEvent::Kind::kSkipped, 2, "upstream train failed"));
  EXPECT_THAT(Lines(out_.str()),
              ElementsAre("[1/3] prep cached: cache hit", "[1/3] started train",
                          "[2/3] train succeeded in 1.2s", "[3/3] eval skipped: upstream train failed"));
}

TEST_F(ProgressTest, FailureShowsTheLastLinesOfStderrIndented) {
  std::string err = dir_ + "/train.err";
  {
    std::ofstream f(err);
    for (int i = 1; i <= 25; ++i) f << "line " << i << "\n";
  }
  ProgressPrinter p(out_, {.mode = ProgressMode::kPlain, .clock = &clock_, .summary = false});
  p.OnRunStarted(graph_);
  Command c{.argv = {"python", "train.py"}};
  c.stderr_path = err;
  JobEvent started = Event(JobEvent::Kind::kStarted, 1);
  started.command = &c;
  p.OnEvent(started);
  p.OnEvent(Event(JobEvent::Kind::kFailed, 1, "exit 1"));
  std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 22u);
  EXPECT_EQ(lines[1], "[1/3] train failed: exit 1");
  EXPECT_EQ(lines[2], "    line 6");
  EXPECT_EQ(lines[21], "    line 25");
}

TEST_F(ProgressTest, RetryLineSaysWhenTheNextAttemptComes) {
  ProgressPrinter p(out_, {.mode = ProgressMode::kPlain, .clock = &clock_, .summary = false});
  p.OnRunStarted(graph_);
  JobEvent retry = Event(JobEvent::Kind::kRetrying, 0, "timed out after 5.0s");
  retry.retry_after_ns = 2 * kSec;
  p.OnEvent(retry);
  EXPECT_EQ(out_.str(), "prep attempt 1 failed: timed out after 5.0s; retrying in 2.0s\n");
}

TEST_F(ProgressTest, JsonModePrintsOneObjectPerEventLine) {
  ProgressPrinter p(out_, {.mode = ProgressMode::kJson, .clock = &clock_});
  p.OnRunStarted(graph_);
  p.OnEvent(Event(JobEvent::Kind::kStarted, 0));
  CommandResult r;
  r.exit_code = 2;
  JobEvent failed = Event(JobEvent::Kind::kFailed, 0, "exit 2");
  failed.result = &r;
  p.OnEvent(failed);
  RunOutcome outcome;
  outcome.jobs.resize(3);
  outcome.jobs[0] = JobOutcome{.state = JobState::kFailed, .attempts = 1, .reason = "exit 2"};
  p.OnRunFinished(outcome);
  std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 3u);
  auto started = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(started["event"], "started");
  EXPECT_EQ(started["step"], "prep");
  EXPECT_EQ(started["attempt"], 1);
  auto fail = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(fail["event"], "failed");
  EXPECT_EQ(fail["reason"], "exit 2");
  EXPECT_EQ(fail["exit_code"], 2);
  auto summary = nlohmann::json::parse(lines[2]);
  EXPECT_EQ(summary["event"], "summary");
  EXPECT_EQ(summary["ok"], false);
  EXPECT_EQ(summary["steps"][0]["status"], "failed");
  EXPECT_EQ(summary["steps"][1]["step"], "train");
}

TEST_F(ProgressTest, JsonFailedEventCarriesTheStepsErrorAndStderrTail) {
  std::string err = dir_ + "/validate.err";
  std::ofstream(err) << "reading data\nmlpipe: error: validation found 2 error(s)\n\n";
  ProgressPrinter p(out_, {.mode = ProgressMode::kJson, .clock = &clock_, .summary = false});
  p.OnRunStarted(graph_);
  Command c{.argv = {"mlpipe", "builtin", "validate"}};
  c.stderr_path = err;
  JobEvent started = Event(JobEvent::Kind::kStarted, 0);
  started.command = &c;
  p.OnEvent(started);
  CommandResult r;
  r.exit_code = 1;
  JobEvent failed = Event(JobEvent::Kind::kFailed, 0, "exit 1");
  failed.result = &r;
  p.OnEvent(failed);
  auto j = nlohmann::json::parse(Lines(out_.str())[1]);
  EXPECT_EQ(j["reason"], "exit 1");
  EXPECT_EQ(j["error"], "mlpipe: error: validation found 2 error(s)");
  EXPECT_EQ(j["stderr_tail"],
            nlohmann::json({"reading data", "mlpipe: error: validation found 2 error(s)", ""}));
}

TEST_F(ProgressTest, FailureMessageIsTheReasonWhenTheStepDidNotExitOnItsOwn) {
  CommandResult timed_out;
  timed_out.timed_out = true;
  EXPECT_EQ(FailureMessage("timed out after 5.0s", &timed_out, {"still working"}), "timed out after 5.0s");
  CommandResult exited_zero;
  exited_zero.exit_code = 0;  // a missing output after exit 0: the reason says which
  EXPECT_EQ(FailureMessage("step did not write its output 'model'", &exited_zero, {"done"}),
            "step did not write its output 'model'");
  CommandResult exited_one;
  exited_one.exit_code = 1;
  EXPECT_EQ(FailureMessage("exit 1", &exited_one, {}), "exit 1");  // it wrote nothing to stderr
  EXPECT_EQ(FailureMessage("exit 1", &exited_one, {"Traceback", "KeyError: 'x'", "  "}), "KeyError: 'x'");
  EXPECT_EQ(FailureMessage("upstream failed", nullptr, {}), "upstream failed");
}

TEST_F(ProgressTest, ARetriedStepKeepsItsIndexSoNoCounterExceedsTheTotal) {
  JobGraph g;
  g.jobs = {JobSpec{.name = "a", .max_attempts = 3, .backoff_ns = kSec}, JobSpec{.name = "b"}};
  FakeRunner runner(&clock_);
  runner.Script(0, {{.exit_code = 1}, {.exit_code = 1}, {.exit_code = 1}});
  AlwaysRunJobs delegate;
  ProgressPrinter p(out_, {.mode = ProgressMode::kPlain, .clock = &clock_, .summary = false});
  auto outcome =
      Executor({.parallelism = 1, .keep_going = true, .clock = &clock_}).Run(g, delegate, runner, &p);
  ASSERT_TRUE(outcome.ok());
  std::vector<std::string> counters;
  for (const std::string& line : Lines(out_.str())) {
    if (line.rfind("[", 0) == 0) counters.push_back(line.substr(0, line.find(']') + 1));
  }
  EXPECT_THAT(counters, ElementsAre("[1/2]", "[2/2]", "[1/2]", "[1/2]", "[1/2]", "[2/2]")) << out_.str();
  EXPECT_THAT(out_.str(), HasSubstr("[1/2] started a (attempt 3)"));
}

TEST_F(ProgressTest, TerminalModeRedrawsOneLinePerRunningStep) {
  JobGraph g;
  g.jobs = {JobSpec{.name = "a"}, JobSpec{.name = "b"}};
  ProgressPrinter p(out_, {.mode = ProgressMode::kTerminal, .clock = &clock_, .summary = false});
  p.OnRunStarted(g);
  p.OnEvent(Event(JobEvent::Kind::kStarted, 0));
  p.OnEvent(Event(JobEvent::Kind::kStarted, 1));
  out_.str("");
  clock_.Advance(41 * kSec);
  p.OnTick(clock_.MonotonicNanos());
  // Moves up over the two live lines, clears, and redraws both.
  EXPECT_EQ(out_.str(), "\x1b[2A\r\x1b[J\x1b[2K[1/2] a 41.0s\n\x1b[2K[2/2] b 41.0s\n");
  out_.str("");
  p.OnEvent(Event(JobEvent::Kind::kSucceeded, 0));
  // The finished line goes above; the live region keeps only b.
  EXPECT_THAT(out_.str(), HasSubstr("[1/2] a succeeded in"));
  EXPECT_THAT(out_.str(), HasSubstr("\x1b[2K[2/2] b 41.0s\n"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("] a 41.0s")));
}

TEST_F(ProgressTest, SummaryTableHasARowPerStep) {
  RunOutcome outcome;
  outcome.wall_ns = 3 * kSec;
  outcome.jobs = {
      JobOutcome{.state = JobState::kCached, .attempts = 1, .reason = "cache hit"},
      JobOutcome{.state = JobState::kFailed, .attempts = 3, .reason = "exit 1", .wall_ns = 2 * kSec},
      JobOutcome{.state = JobState::kSkipped, .reason = "upstream train failed"}};
  EXPECT_EQ(FormatSummaryTable(graph_, outcome),
            "step   status   attempts  duration  reason\n"
            "prep   cached   1         -         cache hit\n"
            "train  failed   3         2.0s      exit 1\n"
            "eval   skipped  0         -         upstream train failed\n"
            "1 cached, 1 failed, 1 skipped in 3.0s\n");
}

TEST_F(ProgressTest, TailLinesKeepsTheEnd) {
  std::string path = dir_ + "/f";
  std::ofstream(path) << "a\nb\nc\n";
  EXPECT_THAT(TailLines(path, 2), ElementsAre("b", "c"));
  EXPECT_THAT(TailLines(path, 10), ElementsAre("a", "b", "c"));
  EXPECT_TRUE(TailLines(dir_ + "/missing", 5).empty());
}

// The printer driven by a real executor run.
TEST_F(ProgressTest, PlainOutputOfAFailedRun) {
  FakeRunner runner(&clock_);
  runner.Script(1, {{.exit_code = 1}});
  AlwaysRunJobs delegate;
  ProgressPrinter p(out_, {.mode = ProgressMode::kPlain, .clock = &clock_});
  auto outcome = Executor({.parallelism = 2, .clock = &clock_}).Run(graph_, delegate, runner, &p);
  ASSERT_TRUE(outcome.ok());
  EXPECT_THAT(Lines(out_.str()),
              ElementsAre("[1/3] started prep", "[1/3] prep succeeded in 1.0s", "[2/3] started train",
                          "[2/3] train failed: exit 1", "[3/3] eval skipped: upstream train failed",
                          "step   status     attempts  duration  reason", "prep   succeeded  1         1.0s",
                          "train  failed     1         1.0s      exit 1",
                          "eval   skipped    0         -         upstream train failed",
                          "1 succeeded, 1 failed, 1 skipped in 2.0s"));
}

}  // namespace
}  // namespace mlpipe::exec
