// End-to-end: `mlpipe init` makes a project from each template that
// validates, runs (the tabular one trains, evaluates and registers a model)
// and is fully cached the second time; a second init refuses to overwrite.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Runs as a user would: in the project folder, the workspace found there.
const std::map<std::string, std::string> kUserEnv = {{"MLPIPE_HOME", ""}};

// Runs pipeline.yaml twice: every step succeeds, then every step is cached.
// Returns the first run's events.
std::vector<Json> RunProjectTwice(const Project& p, size_t steps) {
  auto valid = p.Mlpipe({"validate", "pipeline.yaml"}, kUserEnv);
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
  auto first = p.Mlpipe({"run", "pipeline.yaml", "--json", "-j", "2"}, kUserEnv);
  EXPECT_EQ(first.exit_code, 0) << first.out << first.err;
  auto events = ParseEvents(first.out);
  auto states = FinalStates(events);
  EXPECT_EQ(states.size(), steps) << first.out;
  for (const auto& [step, state] : states) EXPECT_EQ(state, "succeeded") << step << "\n" << first.err;

  auto second = p.Mlpipe({"run", "pipeline.yaml", "--json"}, kUserEnv);
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  auto again = FinalStates(ParseEvents(second.out));
  EXPECT_EQ(again.size(), steps) << second.out;
  for (const auto& [step, state] : again) EXPECT_EQ(state, "cached") << step;
  return events;
}

std::map<std::string, double> ProjectMetrics(const Project& p, int run) {
  auto show = p.Mlpipe({"runs", "show", std::to_string(run), "--json"}, kUserEnv);
  EXPECT_EQ(show.exit_code, 0) << show.err;
  std::map<std::string, double> out;
  const Json parsed = Json::parse(show.out);
  for (const auto& m : parsed["metrics"]) {
    if (m.contains("iteration") && !m["iteration"].is_null()) continue;
    out[m["step"].get<std::string>() + "." + m["name"].get<std::string>()] = m["value"].get<double>();
  }
  return out;
}

TEST(InitE2E, TextstatsProjectRunsAndIsCached) {
  Project p("init-textstats");
  auto init = p.Mlpipe({"init"}, kUserEnv);
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  EXPECT_TRUE(Contains(init.out, fmt::format("Created a textstats project in {}", p.dir()))) << init.out;
  for (const char* f :
       {"pipeline.yaml", "README.md", "scripts/generate.py", "scripts/count.py", "data/notes.txt"}) {
    EXPECT_TRUE(fs::is_regular_file(p.Path(f))) << f;
    EXPECT_EQ(CountLines(init.out, std::string("  ") + f), 1) << f << "\n" << init.out;
  }
  EXPECT_EQ(p.Read(".gitignore"), ".mlpipe/\n");
  EXPECT_TRUE(fs::is_directory(p.Path(".mlpipe")));
  EXPECT_TRUE(Contains(init.out, "Next:\n  mlpipe validate pipeline.yaml\n  mlpipe run pipeline.yaml\n"))
      << init.out;

  RunProjectTwice(p, 2);
  // generate writes "hello N" three times: six words; the notes are the template's.
  auto metrics = ProjectMetrics(p, 1);
  EXPECT_EQ(metrics["count.text_words"], 6);
  EXPECT_EQ(metrics["count.text_lines"], 3);
  EXPECT_GT(metrics["count.notes_words"], 10);
}

TEST(InitE2E, TabularProjectTrainsEvaluatesAndRegistersAModel) {
  Project p("init-tabular");
  auto init = p.Mlpipe({"init", "--template", "tabular"}, kUserEnv);
  ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
  EXPECT_TRUE(fs::is_regular_file(p.Path("data/train.csv")));
  EXPECT_TRUE(fs::is_regular_file(p.Path("scripts/prepare.py")));

  auto events = RunProjectTwice(p, 9);
  bool registered = false;
  for (const auto& e : events) registered = registered || (e.value("event", "") == "registered");
  EXPECT_TRUE(registered) << "no registered event";

  auto metrics = ProjectMetrics(p, 1);
  EXPECT_GE(metrics["evaluate.roc_auc"], 0.9);
  EXPECT_GT(metrics["split.train_rows"], metrics["split.test_rows"]);
  EXPECT_EQ(metrics["validate.anomalies"], 0);

  auto model = p.Mlpipe({"models", "show", "tabular", "--json"}, kUserEnv);
  ASSERT_EQ(model.exit_code, 0) << model.out << model.err;
  EXPECT_TRUE(Contains(model.out, "candidate")) << model.out;
  auto blessing = p.Mlpipe({"artifacts", "cat", "tabular.evaluate.blessing"}, kUserEnv);
  EXPECT_TRUE(Contains(blessing.out, "\"blessed\": true")) << blessing.out;
  // The predictions of the new rows: a header and one line per row.
  auto predictions = p.Mlpipe({"artifacts", "cat", "tabular.predict.predictions"}, kUserEnv);
  EXPECT_EQ(CountLines(predictions.out, ","), CountLines(p.Read("data/new.csv"), ","));
}

TEST(InitE2E, RefusesToOverwriteUnlessForced) {
  Project p("init-refuse");
  ASSERT_EQ(p.Mlpipe({"init"}, kUserEnv).exit_code, 0);
  p.Write("pipeline.yaml", "pipeline: mine\n");
  fs::remove(p.Path("README.md"));
  auto again = p.Mlpipe({"init"}, kUserEnv);
  EXPECT_EQ(again.exit_code, 2) << again.out << again.err;
  EXPECT_TRUE(Contains(again.err, "pipeline.yaml")) << again.err;
  EXPECT_TRUE(Contains(again.err, "nothing was written")) << again.err;
  EXPECT_EQ(p.Read("pipeline.yaml"), "pipeline: mine\n");
  EXPECT_FALSE(fs::exists(p.Path("README.md")));

  auto forced = p.Mlpipe({"init", "--force"}, kUserEnv);
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_TRUE(Contains(forced.out, "pipeline.yaml  (overwritten)")) << forced.out;
  EXPECT_NE(p.Read("pipeline.yaml"), "pipeline: mine\n");
  EXPECT_EQ(p.Read(".gitignore"), ".mlpipe/\n");  // the entry is not repeated
}

TEST(InitE2E, InitInAFolderSaysToGoThereAndAppendsToItsGitignore) {
  Project p("init-dir");
  p.Write("proj/.gitignore", "*.log\n");
  auto init = p.Mlpipe({"init", "proj", "-t", "tabular"}, kUserEnv);
  ASSERT_EQ(init.exit_code, 0) << init.err;
  EXPECT_TRUE(Contains(init.out, "Next:\n  cd proj\n")) << init.out;
  EXPECT_TRUE(Contains(init.out, ".gitignore  (.mlpipe/ added)")) << init.out;
  EXPECT_EQ(p.Read("proj/.gitignore"), "*.log\n.mlpipe/\n");
  EXPECT_TRUE(fs::is_directory(p.Path("proj/.mlpipe")));
  EXPECT_FALSE(fs::exists(p.Path("pipeline.yaml")));
  // The spec validates from outside the folder too.
  auto valid = p.Mlpipe({"validate", "proj/pipeline.yaml"}, kUserEnv);
  EXPECT_EQ(valid.exit_code, 0) << valid.out << valid.err;
}

TEST(InitE2E, UnknownTemplateIsAUsageError) {
  Project p("init-unknown");
  auto r = p.Mlpipe({"init", "--template", "images"}, kUserEnv);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "tabular")) << r.err;
  EXPECT_FALSE(fs::exists(p.Path("pipeline.yaml")));
}

}  // namespace
}  // namespace mlpipe::e2e
