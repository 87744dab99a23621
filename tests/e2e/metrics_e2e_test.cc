// End-to-end: the metrics a run shows are true. A cached step shows the
// metrics of the execution it reused (runs show, compare, metrics, list
// --sort, the registry's snapshot, the nothing-changed fast path); a value
// that is not a number is a warning naming its step and key.
#include <gtest/gtest.h>

#include <algorithm>

#include "mlpipe/base/strings.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

using nlohmann::json;

// runs show RUN --json: "STEP.NAME" -> (final value, reused_from_run or 0).
std::map<std::string, std::pair<double, int64_t>> ShownMetrics(const Project& p, int run) {
  auto r = p.Mlpipe({"runs", "show", std::to_string(run), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::pair<double, int64_t>> out;
  const json shown = json::parse(r.out);
  for (const auto& m : shown["metrics"]) {
    std::string step = m["step"];
    out[step.empty() ? m["name"].get<std::string>() : step + "." + m["name"].get<std::string>()] = {
        m["value"].get<double>(), m["reused_from_run"].is_null() ? 0 : m["reused_from_run"].get<int64_t>()};
  }
  return out;
}

// custom_metrics with its evaluate threshold as a pipeline param.
void WriteTunablePipeline(const Project& p, bool with_register) {
  p.CopyFromRepo("examples/custom_metrics/data", "data");
  p.CopyFromRepo("examples/custom_metrics/scripts", "scripts");
  std::string yaml = R"y(pipeline: tunable
params:
  seed: 42
  min_auc: 0.9
  fn_cost: 10.0
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/breast_cancer.csv}
    params: {method: stratified, stratify_by: diagnosis, test_fraction: 0.2, seed: "${params.seed}"}
  transform:
    uses: mlpipe/transform
    inputs: {train: split.train}
    params: {target: diagnosis, positive_class: malignant}
  train:
    uses: mlpipe/train
    inputs: {train: split.train, transform: transform.transform}
    params: {model: xgboost, rounds: 30, max_depth: 3, seed: "${params.seed}"}
  evaluate:
    uses: mlpipe/evaluate
    inputs: {model: train.model, test: split.test}
    params: {min_roc_auc: "${params.min_auc}"}
  predict:
    uses: mlpipe/predict
    inputs: {model: train.model, data: split.test}
  threshold:
    run: >-
      python3 scripts/threshold_report.py --predictions ${inputs.predictions} --test ${inputs.test}
      --target diagnosis --positive malignant --fn-cost ${params.fn_cost} --out ${outputs.report}
    inputs: {predictions: predict.predictions, test: split.test}
    outputs: {report: report}
)y";
  if (with_register) {
    yaml += "register:\n  model: tumours\n  from: train.model\n  when: evaluate.blessing\n";
  }
  p.Write("pipeline.yaml", yaml);
}

TEST(MetricsE2ETest, CachedStepsShowTheMetricsOfTheExecutionsTheyReused) {
  Project p("cached_metrics");
  WriteTunablePipeline(p, false);
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  auto second = p.Mlpipe({"run", "pipeline.yaml", "-p", "fn_cost=5", "--json"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  auto states = FinalStates(ParseEvents(second.out));
  ASSERT_EQ(states["train"], "cached");
  ASSERT_EQ(states["evaluate"], "cached");
  ASSERT_EQ(states["threshold"], "succeeded");

  auto first = ShownMetrics(p, 1);
  auto shown = ShownMetrics(p, 2);
  ASSERT_TRUE(first.count("evaluate.roc_auc")) << p.Mlpipe({"runs", "show", "1"}).out;
  for (const char* key :
       {"evaluate.roc_auc", "evaluate.accuracy", "train.rounds_trained", "split.train_rows"}) {
    ASSERT_TRUE(shown.count(key)) << key;
    EXPECT_EQ(shown[key].first, first[key].first) << key;
    EXPECT_EQ(shown[key].second, 1) << key << " is reused from run 1";
  }
  EXPECT_EQ(shown["threshold.cost"].second, 0);  // ran in this run
  EXPECT_NE(shown["threshold.cost"].first, first["threshold.cost"].first);
  auto text = p.Mlpipe({"runs", "show", "2"});
  EXPECT_TRUE(Contains(text.out, "evaluate.roc_auc = ")) << text.out;
  EXPECT_TRUE(Contains(text.out, "(reused from run 1)")) << text.out;

  // compare: the reused values are there, and only rows that differ are marked.
  auto cmp = p.Mlpipe({"runs", "compare", "1", "2", "--json"});
  ASSERT_EQ(cmp.exit_code, 0) << cmp.err;
  json c = json::parse(cmp.out);
  EXPECT_EQ(c["metrics"]["evaluate.roc_auc"]["differs"], false) << cmp.out;
  EXPECT_EQ(c["metrics"]["evaluate.roc_auc"]["values"][1], c["metrics"]["evaluate.roc_auc"]["values"][0]);
  EXPECT_EQ(c["metrics"]["evaluate.roc_auc"]["reused_from_runs"], json({nullptr, 1}));
  EXPECT_EQ(c["metrics"]["threshold.cost"]["differs"], true);
  EXPECT_EQ(c["params"]["fn_cost"]["differs"], true);
  EXPECT_EQ(c["params"]["seed"]["differs"], false);
  auto table = p.Mlpipe({"runs", "compare", "1", "2"});
  int marked = 0;
  for (const std::string& line : Split(table.out, '\n')) {
    if (line.rfind("*  ", 0) != 0) continue;
    ++marked;
    auto cells = Split(line, ' ');
    cells.erase(std::remove(cells.begin(), cells.end(), ""), cells.end());
    ASSERT_EQ(cells.size(), 4u) << line;
    EXPECT_NE(cells[2], cells[3]) << "a marked row must show different values: " << line;
  }
  for (const auto& [name, row] : c["metrics"].items()) marked -= row["differs"].get<bool>() ? 1 : 0;
  for (const auto& [name, row] : c["params"].items()) marked -= row["differs"].get<bool>() ? 1 : 0;
  EXPECT_EQ(marked, 0) << table.out;
}

TEST(MetricsE2ETest, ARunThatReusedAnEarlierRunWholeShowsItsMetrics) {
  Project p("fast_path_metrics");
  WriteTunablePipeline(p, false);
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  auto again = p.Mlpipe({"run", "pipeline.yaml"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto show = p.Mlpipe({"runs", "show", "2", "--json"});
  ASSERT_EQ(json::parse(show.out)["reuses_run"], 1) << show.out;  // the fast path
  auto first = ShownMetrics(p, 1);
  auto reused = ShownMetrics(p, 2);
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(reused.size(), first.size());
  for (const auto& [key, value] : first) {
    EXPECT_EQ(reused[key].first, value.first) << key;
    EXPECT_EQ(reused[key].second, 1) << key;
  }
  auto metrics = p.Mlpipe({"runs", "metrics", "2", "--json"});
  ASSERT_EQ(metrics.exit_code, 0) << metrics.err;
  EXPECT_FALSE(json::parse(metrics.out)["metrics"].empty()) << metrics.out;
}

TEST(MetricsE2ETest, RunsMetricsListsTestMetricsFirstAndSummarisesCurves) {
  Project p("runs_metrics");
  WriteTunablePipeline(p, false);
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  auto text = p.Mlpipe({"runs", "metrics", "1"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  std::vector<std::string> lines = Split(text.out, '\n');
  ASSERT_GE(lines.size(), 3u) << text.out;
  EXPECT_EQ(lines[1], "test metrics:") << text.out;
  EXPECT_TRUE(Contains(lines[2], "evaluate.")) << text.out;
  // train's per-round logloss is one line, not 30.
  EXPECT_EQ(CountLines(text.out, "train-logloss"), 1) << text.out;
  EXPECT_TRUE(Contains(text.out, "curve of 30 points: first")) << text.out;
  EXPECT_LT(text.out.find("evaluate.roc_auc"), text.out.find("train:")) << text.out;
  EXPECT_FALSE(Contains(text.out.substr(0, text.out.find("split:")), "test_rows"))
      << "split's test_rows is no test metric";

  auto j = p.Mlpipe({"runs", "metrics", "1", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  json out = json::parse(j.out);
  ASSERT_FALSE(out["metrics"].empty());
  EXPECT_EQ(out["metrics"][0]["test"], true);
  EXPECT_EQ(out["metrics"][0]["step"], "evaluate");
  bool curve_seen = false;
  for (const auto& c : out["curves"]) {
    if (c["name"] != "train-logloss") continue;
    curve_seen = true;
    EXPECT_EQ(c["count"], 30);
    ASSERT_EQ(c["points"].size(), 30u);  // --json gives every point
    EXPECT_EQ(c["last"], c["points"][29]["value"]);
    EXPECT_LE(c["min"].get<double>(), c["last"].get<double>());
  }
  EXPECT_TRUE(curve_seen) << j.out;

  auto one = p.Mlpipe({"runs", "metrics", "1", "--step", "split"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_TRUE(Contains(one.out, "train_rows")) << one.out;
  EXPECT_FALSE(Contains(one.out, "roc_auc")) << one.out;
  auto typo = p.Mlpipe({"runs", "metrics", "1", "--step", "evaluat"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_TRUE(Contains(typo.err, "did you mean 'evaluate'")) << typo.err;
}

TEST(MetricsE2ETest, RunsListRanksAndFiltersByAMetric) {
  Project p("runs_sort");
  WriteTunablePipeline(p, false);
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml", "-p", "fn_cost=10"}).exit_code, 0);  // run 1
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml", "-p", "fn_cost=1"}).exit_code, 0);   // run 2: cheaper misses
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml", "-p", "fn_cost=30"}).exit_code, 0);  // run 3
  p.Write("other.yaml", "pipeline: other\nsteps:\n  one:\n    run: \"true\"\n");
  ASSERT_EQ(p.Mlpipe({"run", "other.yaml"}).exit_code, 0);  // run 4: no such metric

  auto ids = [](const CommandOutput& r) {
    std::vector<int64_t> out;
    for (const auto& run : json::parse(r.out)) out.push_back(run["id"]);
    return out;
  };
  auto cost = [&](int run) {
    auto m = json::parse(p.Mlpipe({"runs", "metrics", std::to_string(run), "--json"}).out);
    for (const auto& x : m["curves"]) {
      if (x["name"] == "cost") return x["last"].get<double>();  // a curve: its last point
    }
    return -1.0;
  };
  std::vector<std::pair<double, int64_t>> expected = {{cost(1), 1}, {cost(2), 2}, {cost(3), 3}};
  std::stable_sort(expected.begin(), expected.end(), [](auto& a, auto& b) { return a.first > b.first; });
  ASSERT_NE(expected.front().first, expected.back().first);
  auto sorted = p.Mlpipe({"runs", "list", "--sort", "threshold.cost", "--json"});
  ASSERT_EQ(sorted.exit_code, 0) << sorted.err;
  EXPECT_EQ(ids(sorted),
            (std::vector<int64_t>{expected[0].second, expected[1].second, expected[2].second, 4}));
  auto asc = p.Mlpipe({"runs", "list", "--sort", "cost", "--asc", "--json"});  // bare name: one step
  EXPECT_EQ(ids(asc), (std::vector<int64_t>{expected[2].second, expected[1].second, expected[0].second, 4}));
  auto text = p.Mlpipe({"runs", "list", "--sort", "cost"});
  EXPECT_TRUE(Contains(text.out, "(1 run without cost, listed last)")) << text.out;

  auto filtered =
      p.Mlpipe({"runs", "list", "--filter", "params.fn_cost>=10", "--filter", "roc_auc>0.5", "--json"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  EXPECT_EQ(ids(filtered), (std::vector<int64_t>{3, 1}));
  auto top = p.Mlpipe({"runs", "list", "--sort", "cost", "--limit", "1", "--json"});
  EXPECT_EQ(ids(top), (std::vector<int64_t>{expected[0].second}));

  auto bad = p.Mlpipe({"runs", "list", "--filter", "roc_auc=>0.5"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(Contains(bad.err, "expected FIELD OP VALUE")) << bad.err;
  auto ambiguous = p.Mlpipe({"runs", "list", "--sort", "train_rows"});  // split and train report it
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_TRUE(Contains(ambiguous.err, "write STEP.train_rows")) << ambiguous.err;
}

// Regression: a model registered by a run whose train step was cached got
// the metrics of the run that trained it, whose evaluation had refused it
// (evaluate.blessed = 0).
TEST(MetricsE2ETest, TheRegistrySnapshotIsTheRegisteringRunsMetricsCachedStepsIncluded) {
  Project p("registry_snapshot");
  WriteTunablePipeline(p, true);
  auto refused = p.Mlpipe({"run", "pipeline.yaml", "-p", "min_auc=1.01"});
  ASSERT_EQ(refused.exit_code, 0) << refused.err;
  ASSERT_TRUE(Contains(refused.out, "not registering tumours")) << refused.out;
  auto blessed = p.Mlpipe({"run", "pipeline.yaml", "-p", "min_auc=0.5", "--json"});
  ASSERT_EQ(blessed.exit_code, 0) << blessed.err;
  auto states = FinalStates(ParseEvents(blessed.out));
  ASSERT_EQ(states["train"], "cached");
  ASSERT_EQ(states["evaluate"], "succeeded");
  auto model = p.Mlpipe({"models", "show", "tumours", "--json"});
  ASSERT_EQ(model.exit_code, 0) << model.err;
  json versions = json::parse(model.out)["versions"];
  ASSERT_EQ(versions.size(), 1u) << model.out;
  json metrics = versions[0]["metrics"];
  EXPECT_EQ(metrics["evaluate.blessed"], 1.0) << model.out;
  EXPECT_TRUE(metrics.contains("train.rounds_trained")) << model.out;  // reused from run 1
  EXPECT_TRUE(metrics.contains("evaluate.roc_auc")) << model.out;
}

TEST(MetricsE2ETest, ANonNumericMetricIsAWarningNamingTheStepAndKey) {
  Project p("non_numeric");
  p.Write("pipeline.yaml", R"y(pipeline: notes
steps:
  train:
    run: >-
      printf '{"accuracy": 0.9, "model": "xgb", "converged": true, "per_class": {"a": 0.5}}' > $MLPIPE_METRICS
    shell: true
  curve:
    run: >-
      printf '{"name": "loss", "value": 0.5, "step": 1}\n{"name": "loss", "value": "nan?", "step": 2}\n' > $MLPIPE_METRICS
    shell: true
)y");
  auto r = p.Mlpipe({"run", "pipeline.yaml", "-j", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;  // a step never fails for its metrics
  EXPECT_TRUE(Contains(r.out, "warning: step train: metric 'model' is a string (\"xgb\"), not a number"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "warning: step curve: metric 'loss' (line 2) is a string")) << r.out;
  auto shown = ShownMetrics(p, 1);
  EXPECT_EQ(shown["train.accuracy"].first, 0.9);
  EXPECT_EQ(shown["train.converged"].first, 1.0);  // true is recorded as 1
  EXPECT_EQ(shown["train.per_class.a"].first, 0.5);
  EXPECT_EQ(shown.count("train.model"), 0u);
  // Recorded with the run.
  auto show = p.Mlpipe({"runs", "show", "1", "--json"});
  json notes = json::parse(show.out)["notes"];
  ASSERT_EQ(notes.size(), 2u) << show.out;
  EXPECT_TRUE(Contains(notes[0], "step train: metric 'model'")) << show.out;
  auto text = p.Mlpipe({"runs", "show", "1"});
  EXPECT_TRUE(Contains(text.out, "note: warning: step train: metric 'model'")) << text.out;
  // --json: one warning event with the step and the key.
  auto j = p.Mlpipe({"run", "pipeline.yaml", "--no-cache", "--json"});
  json warning;
  for (const auto& e : ParseEvents(j.out)) {
    if (e.value("event", "") == "warning" && e.value("step", "") == "train") warning = e;
  }
  ASSERT_FALSE(warning.is_null()) << j.out;
  EXPECT_EQ(warning["metric"], "model");
  EXPECT_TRUE(Contains(warning["message"], "not a number")) << warning.dump();
}

}  // namespace
}  // namespace mlpipe::e2e
