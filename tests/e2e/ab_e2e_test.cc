// End-to-end: `mlpipe ab` with the real binary on a real data set. A linear
// pipeline against an XGBoost one that shares its split: B's split and
// transform are reused from A's run, both models are scored on A's test
// rows, the JSON report has every field and its numbers agree with what
// `mlpipe runs show` recorded; bad inputs exit 2 before anything runs, and a
// source that changes between the two runs is refused.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

using nlohmann::json;

// A pipeline over the breast cancer data: split, transform, train with
// `train_params`, evaluate; `extra` is appended (more steps, register:).
std::string AbPipeline(const std::string& name, const std::string& params, const std::string& train_params,
                       const std::string& extra = "") {
  return "pipeline: " + name + "\nparams:\n  seed: 42\n" + params +
         R"y(steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/breast_cancer.csv}
    params: {method: stratified, stratify_by: diagnosis, test_fraction: 0.25, seed: "${params.seed}"}
  transform:
    uses: mlpipe/transform
    inputs: {train: split.train}
    params: {target: diagnosis, positive_class: malignant}
  train:
    uses: mlpipe/train
    inputs: {train: split.train, transform: transform.transform}
    params: )y" +
         train_params + R"y(
  evaluate:
    uses: mlpipe/evaluate
    inputs: {model: train.model, test: split.test}
)y" + extra;
}

// "evaluate.NAME" -> value of a run, as `mlpipe runs show RUN --json` says.
std::map<std::string, double> RecordedEvaluateMetrics(const Project& p, int64_t run) {
  auto r = p.Mlpipe({"runs", "show", std::to_string(run), "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, double> out;
  const json shown = json::parse(r.out);
  for (const auto& m : shown["metrics"]) {
    if (m["step"] == "evaluate" && !m.contains("iteration")) out[m["name"].get<std::string>()] = m["value"];
  }
  return out;
}

class AbE2E : public ::testing::Test {
 protected:
  AbE2E() : p_("ab") {}
  void SetUp() override {
    p_.CopyFromRepo("examples/custom_metrics/data/breast_cancer.csv", "data/breast_cancer.csv");
    p_.Write("a.yaml", AbPipeline("ab_linear", "", "{model: linear}"));
    p_.Write("b.yaml", AbPipeline("ab_xgboost", "  rounds: 30\n",
                                  "{model: xgboost, rounds: \"${params.rounds}\", max_depth: 3, seed: 1}"));
  }
  int RunCount() {
    auto r = p_.Mlpipe({"runs", "list", "--json"});
    if (r.exit_code != 0) return 0;  // no workspace yet: nothing ran
    return static_cast<int>(json::parse(r.out).size());
  }
  Project p_;
};

TEST_F(AbE2E, LinearAgainstXgboostSharesTheSplitAndReportsWhatTheRunsRecorded) {
  auto r = p_.Mlpipe({"ab", "a.yaml", "b.yaml", "--json", "--resamples", "300", "--seed", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(r.out);
  for (const char* key : {"runs", "shared_steps", "sources", "test", "models", "metrics", "primary", "winner",
                          "verdict", "training_seconds", "model_bytes", "bootstrap"}) {
    EXPECT_TRUE(report.contains(key)) << key;
  }
  const int64_t run_a = report["runs"]["a"]["run"], run_b = report["runs"]["b"]["run"];
  EXPECT_LT(run_a, run_b);  // A runs first

  // B's split and transform were A's, through the cache; its train was not.
  std::vector<std::string> shared;
  for (const auto& s : report["shared_steps"]) shared.push_back(s["step"]);
  EXPECT_EQ(shared, (std::vector<std::string>{"split", "transform"}));

  // The rows: A's test split, every row of it.
  EXPECT_EQ(report["test"]["from"], "split.test");
  auto test_csv = p_.Mlpipe({"artifacts", "cat", report["test"]["ref"].get<std::string>()});
  ASSERT_EQ(test_csv.exit_code, 0) << test_csv.err;
  EXPECT_EQ(report["test"]["rows"].get<int>(), CountLines(test_csv.out, ",") - 1);  // less the header
  EXPECT_TRUE(report["test"]["note"].is_null());  // B's evaluate read the same rows
  ASSERT_EQ(report["sources"].size(), 1u);
  EXPECT_EQ(report["sources"][0]["path"], "data/breast_cancer.csv");

  // Every metric of a binary model, each a and b as the runs' own evaluate
  // steps recorded them, delta = b - a inside its interval.
  const auto recorded_a = RecordedEvaluateMetrics(p_, run_a), recorded_b = RecordedEvaluateMetrics(p_, run_b);
  std::vector<std::string> names;
  for (const auto& m : report["metrics"]) {
    const std::string name = m["name"];
    names.push_back(name);
    ASSERT_TRUE(recorded_a.count(name) && recorded_b.count(name)) << name;
    EXPECT_NEAR(m["a"].get<double>(), recorded_a.at(name), 1e-9) << name;
    EXPECT_NEAR(m["b"].get<double>(), recorded_b.at(name), 1e-9) << name;
    EXPECT_NEAR(m["delta"].get<double>(), m["b"].get<double>() - m["a"].get<double>(), 1e-12) << name;
    EXPECT_LE(m["lo"].get<double>(), m["delta"].get<double>()) << name;
    EXPECT_GE(m["hi"].get<double>(), m["delta"].get<double>()) << name;
    const std::string better = m["better"];
    const bool excludes_zero = m["lo"].get<double>() > 0 || m["hi"].get<double>() < 0;
    EXPECT_EQ(better != "none", excludes_zero) << name;
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"}));
  EXPECT_EQ(report["primary"], "roc_auc");
  const std::string verdict = report["verdict"];
  EXPECT_TRUE(verdict.rfind("B beats A on roc_auc: ", 0) == 0 ||
              verdict.rfind("A beats B on roc_auc: ", 0) == 0 ||
              verdict.rfind("no difference on roc_auc: ", 0) == 0)
      << verdict;
  EXPECT_NE(verdict.find(" at 95 %"), std::string::npos) << verdict;

  EXPECT_EQ(report["training_seconds"]["a"]["step"], "train");
  EXPECT_EQ(report["training_seconds"]["b"]["computed_in_run"], run_b);
  EXPECT_GE(report["training_seconds"]["b"]["step_seconds"].get<double>(), 0);
  EXPECT_GT(report["model_bytes"]["a"].get<int64_t>(), 0);
  EXPECT_GT(report["model_bytes"]["b"].get<int64_t>(), 0);
  EXPECT_EQ(report["models"]["a"]["task"], "binary");
  EXPECT_EQ(report["bootstrap"], json({{"resamples", 300}, {"seed", 5}, {"confidence", 0.95}}));
  for (const auto& m : report["metrics"]) EXPECT_EQ(m["resamples"].get<int>() + m["skipped"].get<int>(), 300);

  // Both are ordinary runs, recorded with the trigger "ab".
  for (int64_t run : {run_a, run_b}) {
    auto shown = p_.Mlpipe({"runs", "show", std::to_string(run), "--json"});
    EXPECT_EQ(json::parse(shown.out)["trigger"], "ab");
  }

  // The same seed gives the same intervals; the table says the same in words.
  auto again = p_.Mlpipe({"ab", "a.yaml", "b.yaml", "--resamples", "300", "--seed", "5"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("steps shared with A through the cache: split, transform"), std::string::npos)
      << again.out;
  EXPECT_NE(again.out.find("verdict: " + verdict), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("delta B-A"), std::string::npos);
}

TEST_F(AbE2E, ParamsGoToEachPipelineThatDeclaresThemAndTheFlagsPickTheArtifacts) {
  auto r =
      p_.Mlpipe({"ab", "a.yaml", "b.yaml", "--json", "-p", "seed=7", "-p", "rounds=10", "--metric",
                 "accuracy", "--metric", "log_loss", "--model-b", "train.model", "--test", "split.test"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json report = json::parse(r.out);
  EXPECT_EQ(report["runs"]["a"]["params"], json({{"seed", 7}}));
  EXPECT_EQ(report["runs"]["b"]["params"], json({{"seed", 7}, {"rounds", 10}}));
  ASSERT_EQ(report["metrics"].size(), 2u);
  EXPECT_EQ(report["metrics"][1]["name"], "log_loss");
  EXPECT_FALSE(report["metrics"][1]["higher_is_better"].get<bool>());
  EXPECT_EQ(report["primary"], "accuracy");
  EXPECT_EQ(report["models"]["b"]["chosen_by"], "--model-b");
  EXPECT_EQ(report["models"]["a"]["chosen_by"], "the evaluate step's model input");
}

TEST_F(AbE2E, BadInputsExitTwoAndRunNothing) {
  auto missing = p_.Mlpipe({"ab", "a.yaml", "nope.yaml"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("nope.yaml"), std::string::npos) << missing.err;

  auto param = p_.Mlpipe({"ab", "a.yaml", "b.yaml", "-p", "depth=3"});
  EXPECT_EQ(param.exit_code, 2);
  EXPECT_NE(param.err.find("neither a.yaml nor b.yaml declares param 'depth'"), std::string::npos)
      << param.err;

  // No evaluate step, no register: entry and no --model-b: nothing to compare.
  std::string bare = AbPipeline("ab_bare", "", "{model: linear}");
  bare = bare.substr(0, bare.find("  evaluate:"));
  p_.Write("bare.yaml", bare);
  auto no_model = p_.Mlpipe({"ab", "a.yaml", "bare.yaml"});
  EXPECT_EQ(no_model.exit_code, 2);
  EXPECT_NE(no_model.err.find("name it with --model-b STEP.OUTPUT"), std::string::npos) << no_model.err;

  auto metric = p_.Mlpipe({"ab", "a.yaml", "b.yaml", "--metric", "acuracy"});
  EXPECT_EQ(metric.exit_code, 2);
  EXPECT_NE(metric.err.find("did you mean 'accuracy'"), std::string::npos) << metric.err;
  EXPECT_EQ(p_.Mlpipe({"ab", "a.yaml", "b.yaml", "--resamples", "10"}).exit_code, 2);
  EXPECT_EQ(RunCount(), 0);

  // Models of different tasks: found once both have run, still bad input.
  std::string regression = AbPipeline("ab_regression", "", "{model: linear}");
  const std::string binary_transform = "params: {target: diagnosis, positive_class: malignant}";
  regression.replace(regression.find(binary_transform), binary_transform.size(),
                     "params: {target: mean_radius}");
  p_.Write("regression.yaml", regression);
  auto tasks = p_.Mlpipe({"ab", "a.yaml", "regression.yaml"});
  EXPECT_EQ(tasks.exit_code, 2);
  EXPECT_NE(tasks.err.find("model A is a binary model and model B a regression one"), std::string::npos)
      << tasks.err;
}

TEST_F(AbE2E, ASourceThatChangesBetweenTheRunsIsRefused) {
  // A's last step appends to a file both pipelines read: B reads other bytes.
  const std::string touch = R"y(  touch:
    run: sh -c 'cat "$0" > /dev/null && echo more >> "$0"' ${inputs.notes}
    inputs: {notes: data/notes.txt}
    after: [evaluate]
)y";
  const std::string read = R"y(  read:
    run: cat ${inputs.notes}
    inputs: {notes: data/notes.txt}
)y";
  p_.Write("data/notes.txt", "first\n");
  p_.Write("a.yaml", AbPipeline("ab_linear", "", "{model: linear}", touch));
  p_.Write("b.yaml", AbPipeline("ab_xgboost", "", "{model: xgboost, rounds: 10}", read));
  auto r = p_.Mlpipe({"ab", "a.yaml", "b.yaml"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("data/notes.txt changed between run 1 and run 2 (sha256:"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("rerun mlpipe ab"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");  // no report on two snapshots
}

}  // namespace
}  // namespace mlpipe::e2e
