// End-to-end: what mlpipe prints and records tells the truth (progress
// counters, failure events, graph labels, explanations, errors).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

using nlohmann::json;

// The last event named `name` for `step`.
json EventOf(const std::vector<json>& events, const std::string& name, const std::string& step) {
  json found;
  for (const auto& e : events) {
    if (e.value("event", "") == name && e.value("step", "") == step) found = e;
  }
  return found;
}

TEST(RecordsE2ETest, ProgressCountersCountStepsNotAttempts) {
  Project p("retry_counters");
  p.Write("pipeline.yaml", R"y(pipeline: flaky
steps:
  flaky:
    run: "false"
    retries: 3
    retry_backoff: 10ms
  other:
    run: "true"
)y");
  auto r = p.Mlpipe({"run", "pipeline.yaml", "-j", "1", "-k"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "started flaky (attempt 4)")) << r.out;
  std::regex counter(R"(\[(\d+)/(\d+)\])");
  int lines = 0;
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), counter), end; it != end; ++it) {
    ++lines;
    EXPECT_LE(std::stoi((*it)[1]), std::stoi((*it)[2])) << it->str() << " in\n" << r.out;
  }
  EXPECT_GE(lines, 6) << r.out;  // 4 starts of flaky, 1 of other, 2 ends
  auto json_run = p.Mlpipe({"run", "pipeline.yaml", "-j", "1", "-k", "--json"});
  for (const auto& e : ParseEvents(json_run.out)) {
    if (e.value("event", "") == "started") {
      EXPECT_LE(e["index"].get<int>(), e["total"].get<int>()) << e.dump();
    }
  }
}

TEST(RecordsE2ETest, FailedJsonEventCarriesTheErrorMessageAndStderrTail) {
  Project p("failed_event");
  p.Write("pipeline.yaml", R"y(pipeline: failing
steps:
  train:
    run: 'echo loading data >&2; echo "KeyError: label" >&2; exit 2'
    shell: true
)y");
  auto r = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  json failed = EventOf(ParseEvents(r.out), "failed", "train");
  ASSERT_FALSE(failed.is_null()) << r.out;
  EXPECT_EQ(failed["reason"], "exit 2");
  EXPECT_EQ(failed["error"], "KeyError: label");
  EXPECT_EQ(failed["stderr_tail"], json({"loading data", "KeyError: label"}));
}

TEST(RecordsE2ETest, GraphvizDrawsABuiltInsLabelOnTwoLines) {
  Project p("dot_labels");
  p.CopyFromRepo("examples/custom_metrics", ".");
  auto graph = p.Mlpipe({"graph", "pipeline.yaml"});
  ASSERT_EQ(graph.exit_code, 0) << graph.err;
  EXPECT_TRUE(Contains(graph.out, "[label=\"split\\n(mlpipe/split)\"]")) << graph.out;
  p.Write("graph.dot", graph.out);
  if (Shell("command -v dot >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "Graphviz `dot` is not installed (scripts/deps.sh installs it); the DOT text was checked";
  }
  ASSERT_EQ(Shell("cd '" + p.dir() + "' && dot -Tsvg graph.dot -o graph.svg"), 0);
  std::string svg = p.Read("graph.svg");
  EXPECT_TRUE(Contains(svg, ">split</text>")) << svg;
  EXPECT_TRUE(Contains(svg, ">(mlpipe/split)</text>")) << svg;
  EXPECT_FALSE(Contains(svg, "\\n")) << svg;
}

TEST(RecordsE2ETest, ValidateJsonReportsABadParamAsAJsonError) {
  Project p("validate_bad_param");
  p.CopyFromRepo("examples/textstats", ".");
  auto r = p.Mlpipe({"validate", "pipeline.yaml", "--json", "-p", "repaet=5"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  json out = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << r.out;
  EXPECT_EQ(out["valid"], false);
  ASSERT_EQ(out["errors"].size(), 1u) << r.out;
  const json& e = out["errors"][0];
  EXPECT_EQ(e["file"], "pipeline.yaml");
  EXPECT_TRUE(Contains(e["message"].get<std::string>(), "unknown param 'repaet'")) << r.out;
  EXPECT_TRUE(Contains(e["message"].get<std::string>(), "did you mean 'repeat'")) << r.out;
  for (const char* key : {"line", "column", "hint"}) EXPECT_TRUE(e.contains(key)) << key;
  // A value of the wrong type, likewise.
  auto typed = p.Mlpipe({"validate", "pipeline.yaml", "--json", "-p", "repeat=many"});
  EXPECT_EQ(typed.exit_code, 2);
  EXPECT_TRUE(Contains(json::parse(typed.out)["errors"][0]["message"].get<std::string>(), "is int"))
      << typed.out;
}

TEST(RecordsE2ETest, ResumingARunOfAnotherPipelineNamesBothPipelines) {
  Project p("resume_other");
  p.CopyFromRepo("examples/textstats", "ts");
  p.Write("other.yaml", "pipeline: other\nparams:\n  size: 3\nsteps:\n  one:\n    run: \"true\"\n");
  ASSERT_EQ(p.Mlpipe({"run", "other.yaml"}).exit_code, 0);
  auto r = p.Mlpipe({"run", "ts/pipeline.yaml", "--resume", "1"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "run 1 is a run of pipeline 'other'")) << r.err;
  EXPECT_TRUE(Contains(r.err, "ts/pipeline.yaml is pipeline 'textstats'")) << r.err;
  EXPECT_FALSE(Contains(r.err, "unknown param")) << r.err;
  // A run of the same pipeline resumes (its steps come from the cache).
  auto same = p.Mlpipe({"run", "other.yaml", "--resume", "1", "--json"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(FinalStates(ParseEvents(same.out))["one"], "cached");
}

// Regression: status cited "generate.text v2 -> v0" for a cached upstream
// output, a version that does not exist.
TEST(RecordsE2ETest, StatusCitesOnlyVersionsThatExist) {
  Project p("status_versions");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml", "-p", "word=bye"}).exit_code, 0);
  auto status = p.Mlpipe({"status", "pipeline.yaml"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_TRUE(Contains(status.out,
                       "count     cached  same key as run 1 (input text changed (generate.text v2 -> v1))"))
      << status.out;
  EXPECT_FALSE(Contains(status.out, "v0")) << status.out;
  // A changed source is named without a version.
  p.Write("data/extra.txt", "new words\n");
  auto changed = p.Mlpipe({"status", "pipeline.yaml", "--json"});
  ASSERT_EQ(changed.exit_code, 0) << changed.err;
  bool merge_seen = false;
  for (const auto& row : json::parse(changed.out)) {
    EXPECT_FALSE(Contains(row["reason"].get<std::string>(), "v0")) << row.dump();
    if (row["step"] == "merge") {
      merge_seen = true;
      EXPECT_EQ(row["reason"],
                "input extra changed (data/extra.txt); input text changed (generate.text v2 -> v1)");
    }
  }
  EXPECT_TRUE(merge_seen) << changed.out;
}

// Regression: a failing built-in validate printed "validation passed" and its
// report and metrics were thrown away with the failed step.
TEST(RecordsE2ETest, AFailedValidateKeepsItsReportAndMetricsAndSaysItFailed) {
  Project p("validate_fails");
  std::string ref = "x,kind\n", drifted = "x,kind\n";
  for (int i = 0; i < 200; ++i) {
    ref += std::to_string(i % 10) + (i % 2 ? ",a\n" : ",b\n");
    drifted += std::to_string(20 + i % 10) + (i % 2 ? ",a\n" : ",b\n");
  }
  p.Write("data/ref.csv", ref);
  p.Write("data/new.csv", drifted);
  p.Write("pipeline.yaml", R"y(pipeline: checks
steps:
  stats: {uses: mlpipe/stats, inputs: {data: data/ref.csv}}
  schema: {uses: mlpipe/schema, inputs: {data: data/ref.csv}}
  validate:
    uses: mlpipe/validate
    inputs: {data: data/new.csv, schema: schema.schema, reference_stats: stats.stats}
  later:
    run: "true"
    after: [validate]
)y");
  auto r = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  auto events = ParseEvents(r.out);
  json failed = EventOf(events, "failed", "validate");
  ASSERT_FALSE(failed.is_null()) << r.out;
  EXPECT_TRUE(Contains(failed["error"].get<std::string>(), "validation found")) << failed.dump();
  EXPECT_EQ(FinalStates(events)["later"], "skipped");

  auto logs = p.Mlpipe({"runs", "logs", "1", "validate"});
  EXPECT_TRUE(Contains(logs.out, "validation FAILED")) << logs.out;
  EXPECT_FALSE(Contains(logs.out, "passed")) << logs.out;

  auto show = p.Mlpipe({"runs", "show", "1", "--json"});
  json run = json::parse(show.out);
  json validate;
  for (const auto& st : run["steps"]) {
    if (st["step"] == "validate") validate = st;
  }
  ASSERT_FALSE(validate.is_null()) << show.out;
  EXPECT_EQ(validate["status"], "failed");
  EXPECT_EQ(validate["outputs"]["report"], "checks.validate.report:v1") << show.out;
  EXPECT_EQ(validate["outputs"]["anomalies"], "checks.validate.anomalies:v1") << show.out;
  bool anomalies_metric = false;
  for (const auto& m : run["metrics"]) {
    anomalies_metric |= m["step"] == "validate" && m["name"] == "anomalies" && m["value"].get<double>() >= 1;
  }
  EXPECT_TRUE(anomalies_metric) << show.out;

  auto artifact = p.Mlpipe({"artifacts", "show", "checks.validate.report", "--json"});
  ASSERT_EQ(artifact.exit_code, 0) << artifact.err;
  EXPECT_EQ(json::parse(artifact.out)["producer"]["status"], "failed") << artifact.out;
  auto text = p.Mlpipe({"artifacts", "show", "checks.validate.report"});
  EXPECT_TRUE(Contains(text.out, "producer run 1 step validate (failed; kept on failure)")) << text.out;
  auto report = p.Mlpipe({"artifacts", "cat", "checks.validate.report"});
  EXPECT_EQ(report.out.rfind("validation FAILED: 200 rows", 0), 0u) << report.out;

  // The failed execution is never reused: the next run validates again.
  auto again = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(FinalStates(ParseEvents(again.out))["validate"], "failed") << again.out;
  p.Write("data/new.csv", ref);
  auto fixed = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  EXPECT_EQ(FinalStates(ParseEvents(fixed.out))["validate"], "succeeded");
  EXPECT_EQ(p.Mlpipe({"artifacts", "cat", "checks.validate.report"}).out.rfind("validation passed", 0), 0u);
}

TEST(RecordsE2ETest, AMisspelledScriptIsASpecErrorWithADidYouMeanAndNothingRuns) {
  Project p("missing_script");
  p.CopyFromRepo("examples/textstats", ".");
  std::string yaml = p.Read("pipeline.yaml");
  const std::string good = "run: python3 scripts/merge.py";
  ASSERT_NE(yaml.find(good), std::string::npos);
  yaml.replace(yaml.find(good), good.size(), "run: python3 scripts/mrege.py");
  p.Write("pipeline.yaml", yaml);
  int line =
      1 + static_cast<int>(std::count(yaml.begin(), yaml.begin() + yaml.find("scripts/mrege.py"), '\n'));
  int column =
      static_cast<int>(yaml.find("scripts/mrege.py") - yaml.rfind('\n', yaml.find("scripts/mrege.py")));

  auto v = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(v.exit_code, 2) << v.out << v.err;
  EXPECT_TRUE(
      Contains(v.err, "pipeline.yaml:" + std::to_string(line) + ":" + std::to_string(column) +
                          ": error: step 'merge' runs script 'scripts/mrege.py', which does not exist"))
      << v.err;
  EXPECT_TRUE(Contains(v.err, "hint: did you mean 'scripts/merge.py'?")) << v.err;
  auto j = p.Mlpipe({"validate", "pipeline.yaml", "--json"});
  json out = json::parse(j.out);
  ASSERT_EQ(out["errors"].size(), 1u) << j.out;
  EXPECT_EQ(out["errors"][0]["line"], line);
  EXPECT_EQ(out["errors"][0]["column"], column);

  auto r = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err, "nothing was run")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(p.Path(".mlpipe/runs"))) << "no run was recorded";
}


// A step's PEAK RSS is the step's: a child that shared mlpipe's memory until
// exec was charged mlpipe's whole RSS (15 MiB for `true`).
TEST(RecordsE2ETest, PeakRssOfAStepIsItsOwnNotMlpipes) {
  Project p("peak_rss");
  p.Write("pipeline.yaml", R"y(pipeline: rss
steps:
  noop:
    run: "true"
  big:
    run: /usr/bin/python3 -c "b = b'x' * (256 << 20)"
  parent:
    run: >-
      p=$$PPID; if [ "$$(cat /proc/$$p/comm)" = mlpipe-spawn ]; then p=$$(awk '/^PPid/ {print $$2}' /proc/$$p/status); fi;
      grep VmRSS /proc/$$p/status > ${pipeline.dir}/parent.rss
    shell: true
)y");
  auto run = p.Mlpipe({"run", "pipeline.yaml", "-j", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  // mlpipe's RSS, in kB: the step's parent, or its grandparent when the step
  // spawner (mlpipe-spawn) forked it.
  const std::string parent = p.Read("parent.rss");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(parent, m, std::regex(R"(VmRSS:\s+(\d+) kB)"))) << parent;
  const int64_t mlpipe_rss = std::stoll(m[1]) * 1024;
  auto show = p.Mlpipe({"runs", "show", "1", "--json"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  std::map<std::string, int64_t> rss;
  const json shown = json::parse(show.out);
  for (const auto& step : shown["steps"]) rss[step["step"]] = step["peak_rss_bytes"].get<int64_t>();
  // What the step itself used: its 256 MiB, more than `true`, whatever
  // mlpipe's own size.
  EXPECT_GT(rss["noop"], 0) << show.out;
  EXPECT_GE(rss["big"], int64_t{256} << 20) << show.out;
  EXPECT_LT(rss["noop"], rss["big"]) << show.out;
#if !defined(__SANITIZE_ADDRESS__)
  // Under ASan a forked child starts with mlpipe's shadow pages (about 140
  // MiB) until its exec, so a step's peak is at least that there; elsewhere
  // `true`'s peak is far below mlpipe's RSS, and the 256 MiB show whole.
  EXPECT_GE(rss["big"] - rss["noop"], int64_t{200} << 20) << show.out;
  EXPECT_LT(rss["noop"], mlpipe_rss / 2) << "mlpipe's RSS " << mlpipe_rss << " bytes\n" << show.out;
#else
  EXPECT_GT(mlpipe_rss, 0);
#endif
}

}  // namespace
}  // namespace mlpipe::e2e
