// End-to-end: a step input bound to a registered model (`baseline:
// scorer@champion`) is resolved when the run starts: an unknown model or
// alias fails the step saying what exists; the version's digest is in the
// cache key (moving the alias re-runs the step, and --explain says so; moving
// it back finds the earlier result); the execution's lineage names the version.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/e2e/command_package_util.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

using json = nlohmann::json;

// Registers the package folder pkg/ as the next version of `scorer` (alias champion).
const char* kPublish = R"(pipeline: publish
steps:
  package:
    run: [cp, -r, "${inputs.src}", "${outputs.model}"]
    inputs: {src: pkg/}
    outputs: {model: model}
register: {model: scorer, from: package.model, alias: champion}
)";

// A candidate package (a source folder) against the registered champion.
const char* kJudge = R"(pipeline: judge
steps:
  evaluate:
    uses: mlpipe/evaluate
    inputs: {model: candidate/, test: data/test.csv, baseline: scorer@champion}
  show:
    description: an inline step gets the registered package's folder as a path
    run: [cat, "${inputs.pinned}/manifest.json"]
    inputs: {pinned: "scorer:v1"}
)";

std::string JudgeTestCsv() {
  std::string csv = "x,color,label\n";
  for (int i = 0; i < 40; ++i) {
    const double x = (i % 9) / 2.0 - 2;
    csv += fmt::format("{},{},{}\n", x, i % 2 ? "red" : "blue",
                       ShiftWorkerYes(x, i % 2 ? "red" : "blue", 0) > 0.5 ? "yes" : "no");
  }
  return csv;
}

class ModelInputE2ETest : public ::testing::Test {
 protected:
  ModelInputE2ETest() : p_("modelinput") {
    WriteShiftPackage(p_, "candidate", 0.0, 1);
    p_.Write("data/test.csv", JudgeTestCsv());
    p_.Write("publish.yaml", kPublish);
    p_.Write("judge.yaml", kJudge);
  }
  // Registers pkg/ with the worker's shift as the next version.
  void Publish(double shift) {
    WriteShiftPackage(p_, "pkg", shift, 1);
    auto r = p_.Mlpipe({"run", "publish.yaml"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  std::vector<json> Judge(int want_exit = 0) {
    auto r = p_.Mlpipe({"run", "judge.yaml", "--json", "--explain"});
    EXPECT_EQ(r.exit_code, want_exit) << r.out << r.err;
    return ParseEvents(r.out);
  }
  json Baseline() {
    auto r = p_.Mlpipe({"artifacts", "cat", "judge.evaluate.metrics"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out)["baseline"]["metrics"];
  }
  Project p_;
};

TEST_F(ModelInputE2ETest, AnUnknownModelOrAliasFailsTheStepSayingWhatExists) {
  auto v = p_.Mlpipe({"validate", "judge.yaml"});
  EXPECT_EQ(v.exit_code, 0) << v.err;  // the registry is only asked at run time
  auto events = Judge(1);
  EXPECT_EQ(FinalStates(events)["evaluate"], "failed");
  auto show = p_.Mlpipe({"runs", "show", "1", "--json"});
  EXPECT_TRUE(Contains(show.out,
                       "input baseline (scorer@champion): no registered model 'scorer'; no model is "
                       "registered yet"))
      << show.out;
  Publish(0.0);
  std::string judge = kJudge;
  judge.replace(judge.find("scorer@champion"), 15, "scorer@staging");
  p_.Write("judge.yaml", judge);
  auto run = p_.Mlpipe({"run", "judge.yaml"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(Contains(run.out + run.err, "model 'scorer' has no alias 'staging' (aliases: champion)"))
      << run.out << run.err;
}

TEST_F(ModelInputE2ETest, TheVersionIsInTheCacheKeyAndTheLineage) {
  Publish(0.0);
  auto first = Judge();
  EXPECT_EQ(FinalStates(first)["evaluate"], "succeeded");
  EXPECT_EQ(FinalStates(first)["show"], "succeeded");
  const double auc_v1 = Baseline()["roc_auc"];
  EXPECT_NEAR(auc_v1, 1.0, 1e-9);  // the labels are the v1 worker's own rule
  auto logs = p_.Mlpipe({"runs", "logs", "2", "show"});
  EXPECT_TRUE(Contains(logs.out, "\"predictor\"")) << logs.out << logs.err;

  // Lineage: the execution read scorer:v1, made by publish's package step.
  auto lineage = p_.Mlpipe({"artifacts", "lineage", "judge.evaluate.metrics"});
  ASSERT_EQ(lineage.exit_code, 0) << lineage.err;
  EXPECT_TRUE(Contains(lineage.out, "baseline: scorer:v1")) << lineage.out;
  EXPECT_TRUE(Contains(lineage.out, "package  run 1")) << lineage.out;

  // Nothing moved: the same key, reused (a run that reads the registry is never reused whole).
  auto again = Judge();
  EXPECT_EQ(FinalStates(again)["evaluate"], "cached");

  // The alias moves to v2: evaluate runs again and says why; show (pinned to v1) does not.
  Publish(1.5);
  auto moved = Judge();
  EXPECT_EQ(FinalStates(moved)["evaluate"], "succeeded");
  EXPECT_EQ(FinalStates(moved)["show"], "cached");
  EXPECT_EQ(ReasonOf(moved, "evaluate"), "input baseline: scorer@champion moved v1 -> v2");
  EXPECT_NE(Baseline()["roc_auc"].get<double>(), -1.0);
  EXPECT_TRUE(
      Contains(p_.Mlpipe({"artifacts", "lineage", "judge.evaluate.metrics"}).out, "baseline: scorer:v2"));

  // Back to v1: the earlier result is found by its key.
  auto rollback = p_.Mlpipe({"models", "rollback", "scorer", "champion"});
  ASSERT_EQ(rollback.exit_code, 0) << rollback.err;
  auto back = Judge();
  EXPECT_EQ(FinalStates(back)["evaluate"], "cached");
  EXPECT_TRUE(Contains(ReasonOf(back, "evaluate"), "input baseline: scorer@champion moved v2 -> v1"))
      << ReasonOf(back, "evaluate");
}

TEST_F(ModelInputE2ETest, BadReferencesAreSpecErrors) {
  std::string judge = kJudge;
  judge.replace(judge.find("scorer@champion"), 15, "scorer@");
  judge.replace(judge.find("\"scorer:v1\""), 11, "\"scorer:1\"");
  judge.replace(judge.find("test: data/test.csv"), 19, "test: scorer@latest");
  p_.Write("judge.yaml", judge);
  auto v = p_.Mlpipe({"validate", "judge.yaml"});
  EXPECT_EQ(v.exit_code, 2);
  EXPECT_TRUE(Contains(v.err, "judge.yaml:5:"));
  EXPECT_TRUE(Contains(v.err,
                       "input 'baseline' of step 'evaluate' is 'scorer@', not a registered model reference: "
                       "the alias is empty"))
      << v.err;
  EXPECT_TRUE(Contains(v.err, "hint: a registered model is NAME@ALIAS or NAME:vN")) << v.err;
  EXPECT_TRUE(Contains(v.err, "the version must be v1, v2, ... (got '1')")) << v.err;
  EXPECT_TRUE(Contains(v.err,
                       "input 'test' of step 'evaluate' expects type dataset, but scorer@latest is a "
                       "registered model (type model)"))
      << v.err;
}

}  // namespace
}  // namespace mlpipe::e2e
