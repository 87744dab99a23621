// End-to-end: `mlpipe test PIPELINE`, what a pull request's CI runs, through
// the real binary: validate, the declared tests: (a component's once, in its
// own folder), a smoke run with the ci: params recorded with trigger
// "mlpipe test", exit codes 0/1/2 and the report against a baseline run.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

// A pipeline whose score step reports metrics that depend on its params, a
// component used by two steps, and tests of both kinds. {STEP_TEST} is the
// score step's test command.
std::string CiPipeline(const std::string& step_test) {
  std::string yaml = R"y(pipeline: scoring
params:
  sample: 1.0
  depth: 3
steps:
  prep_a:
    uses: ./components/prep.yaml
  prep_b:
    uses: ./components/prep.yaml
  score:
    run: python3 score.py ${params.sample} ${params.depth}
    tests: ["sh -c 'echo step test ran; echo step >> tests.log'", STEP_TEST]
ci:
  params: {sample: 0.05}
)y";
  yaml.replace(yaml.find("STEP_TEST"), 9, step_test);
  return yaml;
}

void WriteCiProject(const Project& p, const std::string& step_test) {
  p.Write("pipeline.yaml", CiPipeline(step_test));
  p.Write("components/prep.yaml", R"y(component: prep
outputs: {out: dataset}
run: sh -c 'echo x > ${outputs.out}'
tests:
  - sh -c 'echo component test in $(basename $(pwd)); echo component >> ../tests.log'
)y");
  p.Write("score.py", R"py(import json, os, sys
sample, depth = float(sys.argv[1]), int(sys.argv[2])
with open(os.environ["MLPIPE_METRICS"], "a") as f:
    json.dump({"auc": 0.7 + sample / 10, "rows": 1000 * sample, "depth": depth}, f)
)py");
}

nlohmann::json ShowRunJson(const Project& p, const std::string& run) {
  return nlohmann::json::parse(p.Mlpipe({"runs", "show", run, "--json"}).out);
}

TEST(CiTestE2ETest, AllPassedExitsZeroAndTheSmokeRunUsesTheCiParams) {
  Project p("citest-pass");
  WriteCiProject(p, "true");
  auto r = p.Mlpipe({"test", "pipeline.yaml", "-p", "depth=5"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // In order: validate, the component's test (once, in the component's
  // folder, its output indented), the step's tests, the smoke run.
  const size_t validate = r.out.find("validate: pipeline.yaml: pipeline 'scoring' is valid (3 steps)");
  const size_t component = r.out.find("PASS component prep: ");
  const size_t step = r.out.find("PASS step score: true");
  const size_t smoke = r.out.find("smoke run: pipeline.yaml with sample=0.05 depth=5");
  ASSERT_NE(validate, std::string::npos) << r.out;
  ASSERT_NE(component, std::string::npos) << r.out;
  ASSERT_NE(step, std::string::npos) << r.out;
  ASSERT_NE(smoke, std::string::npos) << r.out;
  EXPECT_LT(validate, component);
  EXPECT_LT(component, step);
  EXPECT_LT(step, smoke);
  EXPECT_TRUE(Contains(r.out, "\n    component test in components\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "\n    step test ran\n")) << r.out;
  EXPECT_EQ(CountLines(r.out, "PASS component prep"), 1) << r.out;
  EXPECT_EQ(p.Read("tests.log"), "component\nstep\n");
  EXPECT_TRUE(Contains(r.out, "mlpipe test: 3 of 3 tests passed; smoke run 1 succeeded")) << r.out;

  // The smoke run is an ordinary run, told apart by its trigger, with the
  // ci: params and then the -p flags.
  auto run = ShowRunJson(p, "1");
  EXPECT_EQ(run["trigger"], "mlpipe test");
  EXPECT_EQ(run["status"], "succeeded");
  EXPECT_DOUBLE_EQ(run["params"]["sample"].get<double>(), 0.05);
  EXPECT_EQ(run["params"]["depth"], 5);
  auto list = p.Mlpipe({"runs", "list"});
  EXPECT_TRUE(Contains(list.out, "mlpipe test")) << list.out;

  // --skip-run: validate and tests only; no run recorded.
  auto skip = p.Mlpipe({"test", "pipeline.yaml", "--skip-run"});
  EXPECT_EQ(skip.exit_code, 0) << skip.out << skip.err;
  EXPECT_TRUE(Contains(skip.out, "smoke run skipped")) << skip.out;
  EXPECT_FALSE(Contains(p.Mlpipe({"runs", "list"}).out, "\n2 ")) << "--skip-run recorded a run";
}

TEST(CiTestE2ETest, AFailingTestExitsOneAndTheRestStillRuns) {
  Project p("citest-fail");
  WriteCiProject(p, "\"sh -c 'echo assertion failed >&2; exit 3'\"");
  auto r = p.Mlpipe({"test", "pipeline.yaml", "--report", "md", "--out", "report.md"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "\n    assertion failed\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "FAIL step score: sh -c 'echo assertion failed >&2; exit 3' (")) << r.out;
  EXPECT_TRUE(Contains(r.out, ", exit 3)")) << r.out;
  // The smoke run still ran, and the report says what failed.
  EXPECT_EQ(ShowRunJson(p, "1")["trigger"], "mlpipe test");
  EXPECT_TRUE(Contains(r.err, "1 of 3 tests failed; smoke run 1 succeeded")) << r.err;
  const std::string md = p.Read("report.md");
  EXPECT_TRUE(Contains(md, "## mlpipe test: scoring FAILED")) << md;
  EXPECT_TRUE(Contains(md, "| step score: `sh -c 'echo assertion failed >&2; exit 3'` | FAIL (exit 3) |"))
      << md;

  // A test that hangs is killed at --test-timeout and fails.
  WriteCiProject(p, "\"sleep 60\"");
  auto slow = p.Mlpipe({"test", "pipeline.yaml", "--skip-run", "--test-timeout", "500ms"});
  EXPECT_EQ(slow.exit_code, 1) << slow.out << slow.err;
  EXPECT_TRUE(Contains(slow.out, "FAIL step score: sleep 60")) << slow.out;
  EXPECT_TRUE(Contains(slow.out, "timed out after")) << slow.out;

  // A smoke run that fails fails the command, after every test passed.
  WriteCiProject(p, "true");
  p.Write("score.py", "import sys\nsys.exit(4)\n");
  auto failed_run = p.Mlpipe({"test", "pipeline.yaml"});
  EXPECT_EQ(failed_run.exit_code, 1) << failed_run.out << failed_run.err;
  EXPECT_TRUE(Contains(failed_run.out, "3 of 3 tests passed; smoke run 2 failed")) << failed_run.out;
}

TEST(CiTestE2ETest, SpecErrorOrBadUsageExitsTwoAndNothingRuns) {
  Project p("citest-invalid");
  p.Write("pipeline.yaml", R"y(pipeline: broken
params:
  sample: 1.0
steps:
  s:
    run: touch ${pipeline.dir}/ran
    tests: "touch tested"
ci:
  params: {sample: lots}
)y");
  auto r = p.Mlpipe({"test", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "pipeline.yaml:9:")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(p.Path("ran")));
  EXPECT_FALSE(std::filesystem::exists(p.Path("tested")));
  EXPECT_FALSE(Contains(r.out, "test:")) << r.out;

  WriteCiProject(p, "true");
  auto bad_param = p.Mlpipe({"test", "pipeline.yaml", "-p", "nosuch=1"});
  EXPECT_EQ(bad_param.exit_code, 2) << bad_param.out << bad_param.err;
  EXPECT_FALSE(std::filesystem::exists(p.Path("tests.log")));
  auto bad_report = p.Mlpipe({"test", "pipeline.yaml", "--report", "html"});
  EXPECT_EQ(bad_report.exit_code, 2) << bad_report.out << bad_report.err;
  auto bad_timeout = p.Mlpipe({"test", "pipeline.yaml", "--test-timeout", "soon"});
  EXPECT_EQ(bad_timeout.exit_code, 2) << bad_timeout.out << bad_timeout.err;
  EXPECT_TRUE(Contains(bad_timeout.err, "--test-timeout")) << bad_timeout.err;
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  auto bad_baseline = p.Mlpipe({"test", "pipeline.yaml", "--baseline", "99"});
  EXPECT_EQ(bad_baseline.exit_code, 2) << bad_baseline.out << bad_baseline.err;
  EXPECT_FALSE(std::filesystem::exists(p.Path("tests.log"))) << "tests ran despite a bad --baseline";
}

// The rows of the Markdown metrics table, by metric.
std::map<std::string, std::vector<std::string>> MetricRows(const std::string& md) {
  std::map<std::string, std::vector<std::string>> rows;
  std::istringstream in(md);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0 || line.find("| PASS |") != std::string::npos) continue;
    std::vector<std::string> cells;
    size_t start = 1;
    for (size_t bar = line.find(" |", start); bar != std::string::npos; bar = line.find(" |", start)) {
      cells.push_back(line.substr(start + 1, bar - start - 1));
      start = bar + 2;
    }
    if (cells.size() == 4) rows[cells[0]] = cells;
  }
  return rows;
}

TEST(CiTestE2ETest, MarkdownReportComparesWithTheLastRealRun) {
  Project p("citest-report");
  WriteCiProject(p, "true");
  // The main branch's run: what the workspace holds when CI starts.
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml", "-p", "depth=4"}).exit_code, 0);
  // An earlier smoke run must not become the baseline.
  ASSERT_EQ(p.Mlpipe({"test", "pipeline.yaml", "-p", "sample=0.5"}).exit_code, 0);
  auto r = p.Mlpipe({"test", "pipeline.yaml", "--report", "md"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // On stdout after the summary.
  const size_t summary = r.out.find("mlpipe test: 3 of 3 tests passed; smoke run 3 succeeded");
  const size_t heading = r.out.find("## mlpipe test: scoring passed");
  ASSERT_NE(summary, std::string::npos) << r.out;
  ASSERT_NE(heading, std::string::npos) << r.out;
  EXPECT_LT(summary, heading);
  EXPECT_TRUE(Contains(r.out, "Smoke run 3 (succeeded, ")) << r.out;
  EXPECT_TRUE(Contains(r.out, "params `sample=0.05`) against run 1 (")) << r.out;
  EXPECT_TRUE(Contains(r.out, "| Metric | Baseline (run 1) | This run (run 3) | Change |")) << r.out;
  auto rows = MetricRows(r.out);
  ASSERT_EQ(rows.size(), 3u) << r.out;
  EXPECT_EQ(rows["`score.auc`"],
            (std::vector<std::string>{"`score.auc`", "0.8", "0.705", "-0.095 (-11.9%)"}));
  EXPECT_EQ(rows["`score.rows`"], (std::vector<std::string>{"`score.rows`", "1000", "50", "-950 (-95.0%)"}));
  EXPECT_EQ(rows["`score.depth`"], (std::vector<std::string>{"`score.depth`", "4", "3", "-1 (-25.0%)"}));

  // --baseline RUN picks the run; a metric on one side only shows "-".
  p.Write("score.py", R"py(import json, os
with open(os.environ["MLPIPE_METRICS"], "a") as f:
    json.dump({"auc": 0.9, "f1": 0.5}, f)
)py");
  auto j = p.Mlpipe({"test", "pipeline.yaml", "--baseline", "2", "--report", "json"});
  ASSERT_EQ(j.exit_code, 0) << j.out << j.err;
  // A JSON report on stdout is all of stdout; the rest went to stderr.
  auto report = nlohmann::json::parse(j.out);
  EXPECT_EQ(report["baseline"]["run"], 2);
  EXPECT_EQ(report["smoke_run"]["run"], 4);
  EXPECT_EQ(report["passed"], true);
  std::map<std::string, nlohmann::json> by_metric;
  for (const auto& m : report["metrics"]) by_metric[m["metric"].get<std::string>()] = m;
  ASSERT_EQ(by_metric.size(), 4u) << j.out;
  EXPECT_TRUE(by_metric["score.f1"]["baseline"].is_null());
  EXPECT_DOUBLE_EQ(by_metric["score.f1"]["value"].get<double>(), 0.5);
  EXPECT_TRUE(by_metric["score.rows"]["value"].is_null());
  EXPECT_DOUBLE_EQ(by_metric["score.rows"]["baseline"].get<double>(), 500);
  EXPECT_NEAR(by_metric["score.auc"]["change"].get<double>(), 0.9 - 0.75, 1e-9);
  EXPECT_TRUE(Contains(j.err, "smoke run 4 succeeded")) << j.err;
}

TEST(CiTestE2ETest, NoBaselineIsSaid) {
  Project p("citest-nobase");
  WriteCiProject(p, "true");
  auto r = p.Mlpipe({"test", "pipeline.yaml", "--report", "md"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "against no baseline: no succeeded run of scoring")) << r.out;
  EXPECT_TRUE(Contains(r.out, "| `score.auc` | - | 0.705 | - |")) << r.out;

  // Test metrics come first, before the names that sort earlier.
  p.Write("score.py", R"py(import json, os
with open(os.environ["MLPIPE_METRICS"], "a") as f:
    json.dump({"a_rows": 10, "test_auc": 0.9}, f)
)py");
  auto again = p.Mlpipe({"test", "pipeline.yaml", "--report", "md"});
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  const size_t test_auc = again.out.find("| `score.test_auc` |");
  const size_t a_rows = again.out.find("| `score.a_rows` |");
  ASSERT_NE(test_auc, std::string::npos) << again.out;
  ASSERT_NE(a_rows, std::string::npos) << again.out;
  EXPECT_LT(test_auc, a_rows) << again.out;
}

TEST(CiTestE2ETest, TheSmokeRunRegistersNoModel) {
  Project p("citest-register");
  p.CopyFromRepo("examples/iris/data/iris.csv", "data/iris.csv");
  p.Write("pipeline.yaml", R"y(pipeline: irisreg
params:
  rounds: 50
steps:
  transform:
    uses: mlpipe/transform
    inputs: {train: data/iris.csv}
    params: {target: species}
  train:
    uses: mlpipe/train
    inputs: {train: data/iris.csv, transform: transform.transform}
    params: {model: xgboost, rounds: "${params.rounds}"}
register:
  - model: iris-ci
    from: train.model
    alias: candidate
ci:
  params: {rounds: 2}
)y");
  auto r = p.Mlpipe({"test", "pipeline.yaml"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "register: skipped for this run (1 entry not carried out)")) << r.out;
  EXPECT_FALSE(Contains(p.Mlpipe({"models", "list"}).out, "iris-ci"));
  // A real run of the same pipeline registers as before.
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  EXPECT_TRUE(Contains(p.Mlpipe({"models", "list"}).out, "iris-ci"));
}

}  // namespace
}  // namespace mlpipe::e2e
