// End-to-end: `mlpipe run --executor slurm` against a real single-node Slurm
// (scripts/services/start-slurm.sh; `make test` starts it before the tests
// and stops it after). The same pipeline file as a local run, the same
// records and outputs; exit codes, logs, cancellation and a bad partition as
// Slurm reports them.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

constexpr const char* kSlurmPipeline = R"y(pipeline: slurmy
params: {code: 3}
steps:
  prep:
    run: cp ${inputs.raw} ${outputs.data}
    inputs: {raw: data/raw.csv}
    outputs: {data: dataset}
  count:
    run: wc -l < ${inputs.data} > ${outputs.n}; echo counted on $(hostname) >&2
    shell: true
    inputs: {data: prep.data}
    outputs: {n: metrics}
    resources: {cpus: 1, memory: 100MB}
  fails:
    run: exit ${params.code}
    shell: true
)y";

class SlurmE2ETest : public ::testing::Test {
 protected:
  // Asked once: sinfo takes seconds to give up on a controller that is not there.
  static bool SlurmAnswers() {
    static const bool answers = [] {
      int rc = 0;
      ShellOutput("sinfo -h -o %P 2>&1", &rc);
      return rc == 0;
    }();
    return answers;
  }
  void SetUp() override {
    if (!SlurmAnswers()) {
      const char* why = std::getenv("MLPIPE_SLURM_UNAVAILABLE");
      GTEST_SKIP() << "Slurm does not answer here ("
                   << (why != nullptr
                           ? why
                           : "not started: make test starts it with scripts/services/start-slurm.sh")
                   << ")";
    }
  }

  std::map<std::string, nlohmann::json> Steps(const Project& p, int run) {
    std::map<std::string, nlohmann::json> out;
    auto shown = nlohmann::json::parse(p.Mlpipe({"runs", "show", std::to_string(run), "--json"}).out);
    for (const auto& step : shown["steps"]) out[step["step"].get<std::string>()] = step;
    return out;
  }
};

TEST_F(SlurmE2ETest, StepsRunAsBatchJobsWithTheSameRecordsAndOutputsAsLocally) {
  Project p("slurm_run");
  p.Write("pipeline.yaml", kSlurmPipeline);
  p.Write("data/raw.csv", "a,b\n1,2\n3,4\n");
  auto run = p.Mlpipe({"run", "pipeline.yaml", "--executor", "slurm", "--keep-going"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto steps = Steps(p, 1);
  EXPECT_EQ(steps["prep"]["status"], "succeeded") << run.out;
  EXPECT_EQ(steps["count"]["status"], "succeeded") << run.out;
  EXPECT_EQ(steps["fails"]["status"], "failed") << run.out;
  EXPECT_EQ(steps["fails"]["reason"], "exit 3") << steps["fails"].dump();
  // The output is the content the step wrote on the node, versioned as usual.
  auto cat = p.Mlpipe({"artifacts", "cat", "slurmy.count.n:v1"});
  EXPECT_EQ(cat.out, "3\n") << cat.err;
  // Its stderr is the step's log.
  auto logs = p.Mlpipe({"runs", "logs", "1", "count"});
  EXPECT_TRUE(Contains(logs.out, "counted on ")) << logs.out;
  // Slurm ran them: the jobs are named after the run's jobs.
  const std::string names = ShellOutput("squeue -h -t all -o %j");
  EXPECT_TRUE(Contains(names, "mlpipe-slurmy-count")) << names;

  // A rerun submits nothing for what is cached and reruns what failed.
  auto rerun = p.Mlpipe({"run", "pipeline.yaml", "--executor", "slurm", "-p", "code=0"});
  EXPECT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
  auto again = Steps(p, 2);
  EXPECT_EQ(again["prep"]["status"], "cached");
  EXPECT_EQ(again["count"]["status"], "cached");
  EXPECT_EQ(again["fails"]["status"], "succeeded");

  // The same pipeline run here, not through Slurm, makes the same content.
  auto local = p.Mlpipe({"run", "pipeline.yaml", "--no-cache", "-p", "code=0"});
  EXPECT_EQ(local.exit_code, 0) << local.out << local.err;
  EXPECT_EQ(Steps(p, 3)["count"]["outputs"], again["count"]["outputs"]);
}

TEST_F(SlurmE2ETest, TinyStepsStartedTogetherShareJobsAndKeepTheirOwnResults) {
  Project p("slurm_group");
  // Named for this process: Slurm keeps ended jobs listed for an hour.
  const std::string pipeline = fmt::format("slurm_group_{}", getpid());
  std::string yaml = fmt::format("pipeline: {}\nsteps:\n", pipeline);
  for (int i = 0; i < 12; ++i) {
    yaml += fmt::format(
        "  s{}:\n    run: echo {} > ${{outputs.o}}; echo log{} >&2; exit {}\n    shell: true\n"
        "    outputs: {{o: dataset}}\n",
        i, i, i, i == 7 ? 5 : 0);
  }
  p.Write("pipeline.yaml", yaml);
  auto run = p.Mlpipe({"run", "pipeline.yaml", "--executor", "slurm", "--slurm-group", "5", "--keep-going"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto steps = Steps(p, 1);
  ASSERT_EQ(steps.size(), 12u);
  for (int i = 0; i < 12; ++i) {
    const std::string name = "s" + std::to_string(i);
    EXPECT_EQ(steps[name]["status"], i == 7 ? "failed" : "succeeded") << name << run.out;
    if (i != 7) {
      EXPECT_EQ(p.Mlpipe({"artifacts", "cat", pipeline + "." + name + ".o:v1"}).out,
                std::to_string(i) + "\n");
    }
  }
  EXPECT_EQ(steps["s7"]["reason"], "exit 5");
  EXPECT_TRUE(Contains(p.Mlpipe({"runs", "logs", "1", "s3"}).out, "log3")) << "a grouped step's own log";
  // Twelve steps started together, five a job: three jobs, named after their first step.
  const std::string names = ShellOutput("squeue -h -t all -o %j | grep '^mlpipe-" + pipeline + "-' | sort");
  EXPECT_EQ(CountLines(names, "mlpipe-" + pipeline + "-"), 3) << names;
}

TEST_F(SlurmE2ETest, APartitionThatDoesNotExistIsExit2BeforeAnythingRuns) {
  Project p("slurm_partition");
  p.Write("pipeline.yaml", kSlurmPipeline);
  p.Write("data/raw.csv", "a\n1\n");
  auto run = p.Mlpipe({"run", "pipeline.yaml", "--executor", "slurm", "--partition", "nosuch"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_TRUE(Contains(run.err, "partition 'nosuch' does not exist in this cluster")) << run.err;
  auto runs = p.Mlpipe({"runs", "list", "--json"});
  EXPECT_TRUE(runs.out.find("\"id\"") == std::string::npos) << runs.out;
}

TEST_F(SlurmE2ETest, TheWorkspaceSettingsChooseSlurmItsPartitionAndGrouping) {
  Project p("slurm_settings");
  const std::string pipeline = fmt::format("slurm_settings_{}", getpid());
  std::string yaml = fmt::format("pipeline: {}\nsteps:\n", pipeline);
  for (int i = 0; i < 8; ++i) {
    yaml += fmt::format(
        "  s{}:\n    run: echo {} > ${{outputs.o}}\n    shell: true\n    outputs: {{o: dataset}}\n", i, i);
  }
  p.Write("pipeline.yaml", yaml);
  // A partition the cluster lacks, named in the file: exit 2 before anything runs.
  p.Write(".mlpipe/config.yaml", "executor: slurm\nslurm:\n  partition: nosuch\n  group: 4\n");
  auto bad = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_TRUE(Contains(bad.err, "partition 'nosuch' does not exist in this cluster")) << bad.err;
  // The flag overrides the file; the file's executor and grouping stay.
  const std::string partition = ShellOutput("sinfo -h -o %P | head -1 | tr -d '*\n'");
  auto run = p.Mlpipe({"run", "pipeline.yaml", "--partition", partition});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(p.Mlpipe({"artifacts", "cat", pipeline + ".s5.o:v1"}).out, "5\n");
  // Eight steps started together, four a job: two Slurm jobs.
  const std::string names = ShellOutput("squeue -h -t all -o %j | grep '^mlpipe-" + pipeline + "-' | sort");
  EXPECT_EQ(CountLines(names, "mlpipe-" + pipeline + "-"), 2) << names;
}

TEST_F(SlurmE2ETest, AnInterruptCancelsTheRunsJobsInSlurm) {
  Project p("slurm_cancel");
  p.Write("pipeline.yaml", R"y(pipeline: slurm_sleep
steps:
  nap:
    run: echo started > ${outputs.note}; sleep 600
    shell: true
    outputs: {note: dataset}
)y");
  const std::string out = p.Path("run.out"), err = p.Path("run.err");
  const int pid = p.StartMlpipe({"run", "pipeline.yaml", "--executor", "slurm"}, out, err);
  // Wait until Slurm runs the job (its name carries the run's job index).
  const std::string job = RunningSlurmJob("mlpipe-slurm_sleep-nap");
  ASSERT_FALSE(job.empty()) << "the step's job never ran";
  kill(pid, SIGINT);
  EXPECT_EQ(WaitFor(pid), 130);
  std::string state;
  for (int i = 0; i < 100; ++i) {
    state = ShellOutput(fmt::format("squeue -h -t all -j {} -o %T", job));
    if (Contains(state, "CANCELLED")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(Contains(state, "CANCELLED")) << state;
  auto shown = nlohmann::json::parse(p.Mlpipe({"runs", "show", "1", "--json"}).out);
  EXPECT_EQ(shown["status"], "cancelled") << shown.dump();
}

TEST_F(SlurmE2ETest, AKilledRunnerLosesNothingAndTheNextRunCancelsWhatItLeftAndResumes) {
  Project p("slurm_kill");
  p.Write("pipeline.yaml", R"y(pipeline: slurm_kill
params: {nap: 600}
steps:
  first:
    run: echo one > ${outputs.data}
    shell: true
    outputs: {data: dataset}
  slow:
    run: sleep ${params.nap}; cp ${inputs.data} ${outputs.data}
    shell: true
    inputs: {data: first.data}
    outputs: {data: dataset}
)y");
  const int pid =
      p.StartMlpipe({"run", "pipeline.yaml", "--executor", "slurm"}, p.Path("run.out"), p.Path("run.err"));
  const std::string job = RunningSlurmJob("mlpipe-slurm_kill-slow");
  ASSERT_FALSE(job.empty()) << "the slow step's job never ran";
  kill(pid, SIGKILL);
  WaitFor(pid);
  EXPECT_EQ(SlurmJobStateOf(job), "RUNNING");  // a batch job outlives the runner

  // The next run ends it, reuses what finished, and runs the rest.
  auto resumed = p.Mlpipe({"run", "pipeline.yaml", "--executor", "slurm", "--resume", "1", "-p", "nap=0"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_TRUE(Contains(resumed.err,
                       "cancelled 1 Slurm job that a killed run of this pipeline left (ids " + job + ")"))
      << resumed.err;
  std::string state;
  for (int i = 0; i < 100 && state != "CANCELLED"; ++i) {
    state = SlurmJobStateOf(job);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(state, "CANCELLED");
  auto steps = Steps(p, 2);
  EXPECT_EQ(steps["first"]["status"], "cached") << resumed.out;
  EXPECT_EQ(steps["slow"]["status"], "succeeded") << resumed.out;
  EXPECT_EQ(p.Mlpipe({"artifacts", "verify"}).exit_code, 0);
}

// Slurm enforces --time on its own timer (about once a minute), so this test
// waits for it: a job killed by the scheduler is "timed out", as locally.
TEST_F(SlurmE2ETest, AJobKilledAtItsTimeLimitIsTimedOut) {
  Project p("slurm_timeout");
  p.Write("pipeline.yaml", R"y(pipeline: slurm_timeout
steps:
  overdue:
    run: sleep 600
    timeout: 2s
)y");
  auto run = p.Mlpipe({"run", "pipeline.yaml", "--executor", "slurm"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  auto steps = Steps(p, 1);
  EXPECT_EQ(steps["overdue"]["status"], "failed") << run.out;
  EXPECT_EQ(steps["overdue"]["reason"], "timed out after 2.0s") << steps["overdue"].dump();
}

}  // namespace
}  // namespace mlpipe::e2e
