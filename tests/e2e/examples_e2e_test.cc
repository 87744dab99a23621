// End-to-end: every example of examples/ runs with the real binary, reaches
// sensible test metrics and is fully cached the second time; the predictions
// of a pipeline's `predict` step equal those of its model package loaded fresh
// from the store by a second pipeline.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

using Json = nlohmann::json;

// "step.name" -> value of every scalar metric of a run (curves left out).
std::map<std::string, double> RunMetrics(const Project& p, int run) {
  auto show = p.Mlpipe({"runs", "show", std::to_string(run), "--json"});
  EXPECT_EQ(show.exit_code, 0) << show.err;
  std::map<std::string, double> out;
  const Json parsed = Json::parse(show.out);  // kept alive: the loop below iterates inside it
  for (const auto& m : parsed["metrics"]) {
    if (m.contains("iteration") && !m["iteration"].is_null()) continue;
    out[m["step"].get<std::string>() + "." + m["name"].get<std::string>()] = m["value"].get<double>();
  }
  return out;
}

int NewestRun(const Project& p) {
  auto runs = p.Mlpipe({"runs", "list", "--json"});
  EXPECT_EQ(runs.exit_code, 0) << runs.err;
  return Json::parse(runs.out)[0]["id"].get<int>();
}

Json ShowArtifact(const Project& p, const std::string& ref) {
  auto r = p.Mlpipe({"artifacts", "show", ref, "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return Json::parse(r.out);
}

std::vector<std::vector<std::string>> ReadCsv(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::vector<std::string>> rows;
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> fields;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ',')) fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

// Copies examples/NAME into a fresh project and runs it: every step must
// succeed. Then runs it again: every step must be cached, none started.
// Returns the metrics of the first run.
std::map<std::string, double> RunExampleTwice(const Project& p, const std::string& name, size_t num_steps) {
  p.CopyFromRepo("examples/" + name, ".");
  auto valid = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
  auto first = p.Mlpipe({"run", "pipeline.yaml", "--json", "-j", "2"});
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  auto states = FinalStates(ParseEvents(first.out));
  EXPECT_EQ(states.size(), num_steps) << first.out;
  for (const auto& [step, state] : states) EXPECT_EQ(state, "succeeded") << name << " step " << step;
  const int run = NewestRun(p);

  auto second = p.Mlpipe({"run", "pipeline.yaml", "--json", "-j", "2"});
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  auto events = ParseEvents(second.out);
  auto again = FinalStates(events);
  EXPECT_EQ(again.size(), num_steps) << second.out;
  for (const auto& [step, state] : again) EXPECT_EQ(state, "cached") << name << " step " << step;
  for (const auto& e : events) EXPECT_NE(e.value("event", ""), "started") << e.dump();
  return RunMetrics(p, run);
}

// lending_club runs once for all its tests (it is the slowest example).
class LendingClubTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    project_ = std::make_unique<Project>("ex-lending-club");
    metrics_ = RunExampleTwice(*project_, "lending_club", 10);
  }
  static void TearDownTestSuite() { project_.reset(); }
  static std::unique_ptr<Project> project_;
  static std::map<std::string, double> metrics_;
};
std::unique_ptr<Project> LendingClubTest::project_;
std::map<std::string, double> LendingClubTest::metrics_;

TEST_F(LendingClubTest, ValidatesTrainsEvaluatesAndBlesses) {
  ASSERT_FALSE(HasFatalFailure());
  auto& m = metrics_;
  EXPECT_EQ(m["stats.rows"], 8857);
  EXPECT_EQ(m["validate.anomalies"], 0);  // new loans are like the training loans
  EXPECT_GT(m["evaluate.roc_auc"], 0.7);
  EXPECT_GT(m["evaluate.baseline_roc_auc"], 0.7);
  // Reported once: MLPIPE_METRICS's name, not also the metrics output's nested copy.
  EXPECT_EQ(m.count("evaluate.metrics.roc_auc"), 0u);
  EXPECT_LT(m["train.best_round"], m["train.rounds_trained"]);  // early stopping picked a round
  EXPECT_EQ(m["predict.rows"], 1000);
  // The blessing follows its rules: ROC AUC >= 0.7 and at least the baseline's.
  const bool should_bless = m["evaluate.roc_auc"] >= 0.7 && m["evaluate.roc_auc"] >= m["evaluate.baseline_roc_auc"];
  EXPECT_EQ(m["evaluate.blessed"], should_bless ? 1.0 : 0.0);
  auto blessing = Json::parse(project_->Mlpipe({"artifacts", "cat", "lending_club.evaluate.blessing"}).out);
  EXPECT_EQ(blessing["blessed"].get<bool>(), should_bless);
  EXPECT_NEAR(blessing["candidate"].get<double>(), m["evaluate.roc_auc"], 1e-12);
}

TEST_F(LendingClubTest, PredictionsEqualThoseOfThePackageLoadedFreshFromTheStore) {
  ASSERT_FALSE(HasFatalFailure());
  const Project& p = *project_;
  Json model = ShowArtifact(p, "lending_club.train.model");
  Json predictions = ShowArtifact(p, "lending_club.predict.predictions");
  ASSERT_TRUE(model["is_dir"].get<bool>()) << model.dump();
  // What a user does: a second pipeline whose predict step reads the stored
  // model package (its store path, a source) and the same new data. It keeps
  // no column (the pipeline's kept Class), so its output is a different file.
  p.Write("score/pipeline.yaml", "pipeline: score\nsteps:\n  predict:\n    uses: mlpipe/predict\n"
                                 "    inputs: {model: " + model["path"].get<std::string>() +
                                     ", data: ../data/new_loans.csv}\n");
  auto r = p.Mlpipe({"run", "score/pipeline.yaml", "--json", "--no-cache"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  ASSERT_EQ(FinalStates(ParseEvents(r.out))["predict"], "succeeded") << r.out;
  Json fresh = ShowArtifact(p, "score.predict.predictions");
  ASSERT_NE(fresh["path"], predictions["path"]);

  auto a = ReadCsv(predictions["path"]);
  auto b = ReadCsv(fresh["path"]);
  ASSERT_EQ(a.size(), 1001u);
  ASSERT_EQ(b.size(), a.size());
  ASSERT_EQ(a[0], (std::vector<std::string>{"Class", "prediction", "prob_good", "prob_bad"}));
  ASSERT_EQ(b[0], (std::vector<std::string>{"prediction", "prob_good", "prob_bad"}));
  int predicted_bad = 0;
  for (size_t i = 1; i < a.size(); ++i) {
    ASSERT_EQ(a[i].size(), 4u) << i;
    ASSERT_EQ(b[i].size(), 3u) << i;
    EXPECT_EQ(a[i][1], b[i][0]) << "row " << i;
    for (size_t c = 2; c < 4; ++c) EXPECT_NEAR(std::stod(a[i][c]), std::stod(b[i][c - 1]), 1e-9) << "row " << i;
    predicted_bad += a[i][1] == "bad";
    // The label is the more probable class.
    EXPECT_EQ(a[i][1], std::stod(a[i][3]) > std::stod(a[i][2]) ? "bad" : "good") << "row " << i;
  }
  EXPECT_LT(predicted_bad, 100);  // 5 % positives: few loans cross 0.5
}

TEST(ExamplesE2ETest, IrisMulticlass) {
  Project p("ex-iris");
  auto m = RunExampleTwice(p, "iris", 6);
  EXPECT_GT(m["evaluate.accuracy"], 0.9);
  EXPECT_GT(m["evaluate.roc_auc"], 0.95);
  EXPECT_EQ(m["evaluate.blessed"], 1);
  EXPECT_EQ(m["predict.rows"], 30);
  auto rows = ReadCsv(ShowArtifact(p, "iris.predict.predictions")["path"]);
  ASSERT_EQ(rows.size(), 31u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"species", "prediction", "prob_setosa", "prob_versicolor",
                                               "prob_virginica"}));
  int correct = 0;
  for (size_t i = 1; i < rows.size(); ++i) correct += rows[i][0] == rows[i][1];
  EXPECT_NEAR(correct / 30.0, m["evaluate.accuracy"], 1e-9);
}

TEST(ExamplesE2ETest, ConcreteRegression) {
  Project p("ex-concrete");
  auto m = RunExampleTwice(p, "concrete", 8);
  EXPECT_GT(m["evaluate.r2"], 0.5);
  EXPECT_GT(m["evaluate.baseline_r2"], 0.5);
  EXPECT_LT(m["evaluate.rmse"] + 1.0, m["evaluate.baseline_rmse"]);  // beats ridge by the margin
  EXPECT_EQ(m["evaluate.blessed"], 1);
  // RMSE recomputed from the predictions file equals the one evaluate recorded.
  auto rows = ReadCsv(ShowArtifact(p, "concrete.predict.predictions")["path"]);
  ASSERT_EQ(rows.size(), 207u);
  ASSERT_EQ(rows[0], (std::vector<std::string>{"compressive_strength", "prediction"}));
  double sse = 0;
  for (size_t i = 1; i < rows.size(); ++i) sse += std::pow(std::stod(rows[i][0]) - std::stod(rows[i][1]), 2);
  EXPECT_NEAR(std::sqrt(sse / 206), m["evaluate.rmse"], 1e-3);
}

TEST(ExamplesE2ETest, CustomPythonStepReportsMetrics) {
  Project p("ex-custom");
  auto m = RunExampleTwice(p, "custom_metrics", 6);
  EXPECT_GT(m["evaluate.roc_auc"], 0.95);
  // The user's script's numbers, recorded through MLPIPE_METRICS.
  ASSERT_TRUE(m.count("threshold.best_threshold")) << "metrics of the python step missing";
  EXPECT_GT(m["threshold.best_threshold"], 0);
  EXPECT_LT(m["threshold.best_threshold"], 1);
  EXPECT_LE(m["threshold.cost_at_best"], m["threshold.cost_at_0.5"]);
  EXPECT_GT(m["threshold.recall_at_best"], 0.9);
  EXPECT_LT(m["threshold.brier_score"], 0.1);
  // Its output artifact agrees with the metrics.
  auto report = Json::parse(p.Mlpipe({"artifacts", "cat", "custom_metrics.threshold.report"}).out);
  EXPECT_EQ(report["rows"], 114);
  EXPECT_EQ(report["sweep"].size(), 19u);
  EXPECT_DOUBLE_EQ(report["best"]["threshold"].get<double>(), m["threshold.best_threshold"]);
  // A param the script uses reruns only the script's step.
  auto r = p.Mlpipe({"run", "pipeline.yaml", "--json", "-p", "fn_cost=2"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto states = FinalStates(ParseEvents(r.out));
  EXPECT_EQ(states["threshold"], "succeeded");
  EXPECT_EQ(states["train"], "cached");
  EXPECT_EQ(states["predict"], "cached");
}

}  // namespace
}  // namespace mlpipe::e2e
