// End-to-end: running pipelines with the real binary and real processes.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

TEST(RunE2ETest, TextstatsExampleRunsEndToEnd) {
  Project p("textstats");
  p.CopyFromRepo("examples/textstats", ".");
  auto r = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto states = FinalStates(ParseEvents(r.out));
  EXPECT_EQ(states["generate"], "succeeded");
  EXPECT_EQ(states["count"], "succeeded");
  EXPECT_EQ(states["merge"], "succeeded");
  EXPECT_EQ(states["done"], "succeeded");
  auto runs = p.Mlpipe({"runs", "list", "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  auto j = nlohmann::json::parse(runs.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["status"], "succeeded");
  // The count step's metrics output and MLPIPE_METRICS records: 3 words per line x 3 lines... "hello 0" = 2
  // words.
  auto show = p.Mlpipe({"runs", "show", j[0]["id"].dump(), "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  auto s = nlohmann::json::parse(show.out);
  bool found_words = false;
  for (const auto& m : s["metrics"]) {
    if (m["name"] == "words" && m["step"] == "count") {
      EXPECT_EQ(m["value"].get<double>(), 6.0);
      found_words = true;
    }
  }
  EXPECT_TRUE(found_words) << show.out;
}

TEST(RunE2ETest, RunsLogsShowsWhatAStepPrintedAndSaysWhenItPrintedNothing) {
  Project p("logs");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  auto count = p.Mlpipe({"runs", "logs", "1", "count"});
  ASSERT_EQ(count.exit_code, 0) << count.err;
  EXPECT_TRUE(Contains(count.out, "counted 6 words")) << count.out;
  EXPECT_TRUE(Contains(count.out, "== stderr (empty: the step wrote nothing to it) ==")) << count.out;
  auto done = p.Mlpipe({"runs", "logs", "1", "done"});  // `true` prints nothing at all
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_TRUE(Contains(done.out, "== stdout (empty: the step wrote nothing to it) ==")) << done.out;
  EXPECT_FALSE(std::filesystem::exists(p.Path(".mlpipe/runs/1/done")));
}

std::string SleepPipeline() {
  std::string y = "pipeline: sleepers\nsteps:\n";
  for (int i = 0; i < 4; ++i) y += "  s" + std::to_string(i) + ":\n    run: sleep 1\n    cache: false\n";
  return y;
}

// The most steps of run `run` that ran at once, from their recorded start
// and end times (overlap, not durations: a loaded machine stretches those).
int MostAtOnce(const Project& p, int run) {
  auto shown = p.Mlpipe({"runs", "show", std::to_string(run), "--json"});
  auto j = nlohmann::json::parse(shown.out, nullptr, false);
  if (!j.is_object()) return -1;
  std::vector<std::pair<int64_t, int>> edges;  // (time, +1 start / -1 end); ends sort first at a tie
  for (const auto& s : j["steps"]) {
    edges.emplace_back(s["started_ns"].get<int64_t>(), 1);
    edges.emplace_back(s["ended_ns"].get<int64_t>(), -1);
  }
  std::sort(edges.begin(), edges.end());
  int now = 0, most = 0;
  for (const auto& [t, d] : edges) most = std::max(most, now += d);
  return most;
}

TEST(RunE2ETest, ParallelismBoundsConcurrency) {
  Project p("parallel");
  p.Write("pipeline.yaml", SleepPipeline());
  auto r4 = p.Mlpipe({"run", "pipeline.yaml", "-j", "4"});
  ASSERT_EQ(r4.exit_code, 0) << r4.err;
  auto r2 = p.Mlpipe({"run", "pipeline.yaml", "-j", "2"});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  EXPECT_EQ(MostAtOnce(p, 1), 4);  // four 1 s sleeps, all at once
  EXPECT_EQ(MostAtOnce(p, 2), 2);  // never more than -j
}

const char* kFailing = R"y(pipeline: failing
steps:
  bad:
    run: echo something went wrong >&2; exit 3
    shell: true
  after_bad:
    run: "true"
    after: [bad]
  slow_ok:
    run: sleep 0.5
)y";

TEST(RunE2ETest, FailingStepFailsRunWithStderrTail) {
  Project p("failing");
  p.Write("pipeline.yaml", kFailing);
  auto r = p.Mlpipe({"run", "pipeline.yaml", "-j", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.out + r.err, "something went wrong")) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out + r.err, "exit 3")) << r.out << r.err;
}

TEST(RunE2ETest, KeepGoingFinishesIndependentBranches) {
  Project p("keepgoing");
  p.Write("pipeline.yaml", kFailing);
  auto r = p.Mlpipe({"run", "pipeline.yaml", "-j", "1", "--keep-going", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  auto states = FinalStates(ParseEvents(r.out));
  EXPECT_EQ(states["bad"], "failed");
  EXPECT_EQ(states["after_bad"], "skipped");
  EXPECT_EQ(states["slow_ok"], "succeeded");
}

TEST(RunE2ETest, RetriesUntilSuccess) {
  Project p("retries");
  p.Write("pipeline.yaml", R"y(pipeline: flaky
steps:
  flaky:
    run: n=$(cat ${pipeline.dir}/count 2>/dev/null || echo 0); echo $((n+1)) > ${pipeline.dir}/count; test $n -ge 2
    shell: true
    retries: 3
    retry_backoff: 10ms
    cache: false
)y");
  auto r = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(FinalStates(ParseEvents(r.out))["flaky"], "succeeded");
  EXPECT_EQ(p.Read("count"), "3\n");
}

TEST(RunE2ETest, TimeoutKillsTheStep) {
  Project p("timeout");
  p.Write("pipeline.yaml", "pipeline: slow\nsteps:\n  slow:\n    run: sleep 30\n    timeout: 1s\n");
  auto r = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 1);  // a timeout that never fired would let `sleep 30` succeed
  EXPECT_TRUE(Contains(r.out + r.err, "timed out")) << r.out << r.err;
}

TEST(RunE2ETest, ParamsWithSpacesStayOneArgument) {
  Project p("words");
  p.Write("pipeline.yaml", R"y(pipeline: words
params:
  text: "a b; echo injected"
steps:
  echo:
    run: python3 -c "import sys; open(sys.argv[2], 'w').write(str(len(sys.argv) - 1))" ${params.text} ${outputs.n}
    outputs: {n: metrics}
)y");
  auto r = p.Mlpipe({"run", "pipeline.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto cat = p.Mlpipe({"artifacts", "cat", "words.echo.n"});
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(cat.out, "2");  // argv[1] is the whole param, argv[2] the output path
}

// A shell command longer than Linux's 128 KiB cap on one argument (a join of
// 1,500 store paths) still runs: from a script file instead of `sh -c`.
TEST(RunE2ETest, ShellCommandLongerThanOneArgumentRuns) {
  Project p("longjoin");
  std::string spec =
      "pipeline: longjoin\nsteps:\n  make:\n    run: echo x > ${outputs.out}\n    shell: true\n"
      "    outputs: {out: dataset}\n  join:\n    run: cat";
  const int n = 1500;  // the same input 1,500 times: over 150 KiB of store paths
  for (int i = 0; i < n; ++i) spec += " ${inputs.in" + std::to_string(i) + "}";
  spec += " | wc -l > ${outputs.lines}\n    shell: true\n    outputs: {lines: metrics}\n    inputs:\n";
  for (int i = 0; i < n; ++i) spec += "      in" + std::to_string(i) + ": make.out\n";
  p.Write("pipeline.yaml", spec);
  auto r = p.Mlpipe({"run", "pipeline.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto cat = p.Mlpipe({"artifacts", "cat", "longjoin.join.lines"});
  ASSERT_EQ(cat.exit_code, 0) << cat.err;
  EXPECT_EQ(std::stoi(cat.out), n);
}

TEST(RunE2ETest, DryRunExecutesNothing) {
  Project p("dryrun");
  p.CopyFromRepo("examples/textstats", ".");
  auto r = p.Mlpipe({"run", "pipeline.yaml", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "generate")) << r.out;
  auto runs = p.Mlpipe({"runs", "list", "--json"});
  EXPECT_EQ(nlohmann::json::parse(runs.out).size(), 0u);
}

TEST(RunE2ETest, GraphExportsDotAndMermaid) {
  Project p("graph");
  p.CopyFromRepo("examples/textstats", ".");
  auto dot = p.Mlpipe({"graph", "pipeline.yaml"});
  ASSERT_EQ(dot.exit_code, 0) << dot.err;
  EXPECT_TRUE(Contains(dot.out, "digraph")) << dot.out;
  EXPECT_TRUE(Contains(dot.out, "generate")) << dot.out;
  auto mm = p.Mlpipe({"graph", "pipeline.yaml", "--format", "mermaid"});
  ASSERT_EQ(mm.exit_code, 0) << mm.err;
  EXPECT_TRUE(Contains(mm.out, "flowchart")) << mm.out;
}

TEST(RunE2ETest, StepsSeeTheirVariablesOnTopOfMlpipesEnvironment) {
  Project p("env");
  p.Write("pipeline.yaml", R"y(pipeline: envs
params:
  word: hello
steps:
  show:
    run: sh -c "env > ${outputs.vars}; env"
    env:
      GREETING: hi ${params.word}
      MLPIPE_E2E_OVERRIDDEN: by-step
    outputs:
      vars: dataset
)y");
  auto r = p.Mlpipe({"run", "pipeline.yaml"},
                    {{"MLPIPE_E2E_INHERITED", "from-parent"}, {"MLPIPE_E2E_OVERRIDDEN", "parent"}});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string log = p.Read(".mlpipe/runs/1/show/attempt-1.stdout.log");
  auto lines = Split(log, '\n');
  auto count = [&](const std::string& prefix) {
    return std::count_if(lines.begin(), lines.end(),
                         [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
  };
  EXPECT_EQ(count("GREETING=hi hello"), 1) << log;
  EXPECT_EQ(count("MLPIPE_E2E_INHERITED=from-parent"), 1) << log;
  EXPECT_EQ(count("MLPIPE_E2E_OVERRIDDEN="), 1) << log;  // once: the step's value replaces the inherited one
  EXPECT_EQ(count("MLPIPE_E2E_OVERRIDDEN=by-step"), 1) << log;
  EXPECT_EQ(count("MLPIPE_STEP=show"), 1) << log;
  EXPECT_EQ(count("MLPIPE_RUN_ID=1"), 1) << log;
  EXPECT_EQ(count("MLPIPE_ATTEMPT=1"), 1) << log;
  EXPECT_EQ(count("MLPIPE_OUTPUT_VARS=" + p.Path(".mlpipe/runs/1/out.d/show.vars")), 1) << log;
  EXPECT_EQ(count("MLPIPE_METRICS=" + p.Path(".mlpipe/runs/1/metrics.d/show.1.jsonl")), 1) << log;
  EXPECT_EQ(count("OMP_NUM_THREADS="), 1) << log;
  EXPECT_EQ(count("PATH="), 1) << log;
}

}  // namespace
}  // namespace mlpipe::e2e
