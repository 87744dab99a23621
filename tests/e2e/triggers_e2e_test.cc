// End-to-end: a pipeline's triggers: block through the real binary. The
// error classes are covered one by one in src/mlpipe/spec/triggers_test.cc;
// here the CLI contract: each error with file:line:column, exit 2, nothing
// runs; and `mlpipe validate` of several files finds a loop between them.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

TEST(TriggersE2ETest, BadTriggerBlockIsReportedAndNothingRuns) {
  Project p("triggers-bad");
  p.Write("data/loans.csv", "a\n1\n");
  p.Write("pipeline.yaml", R"y(pipeline: retrain
steps:
  touch:
    run: touch ${pipeline.dir}/ran
triggers:
  - schedule: "0 3 * * 8"
  - on_change: [data/loans.csv, data/new/]
  - webhook: retrain
  - any: [{webhook: retrain}]
cooldown: soon
)y");
  auto r = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "pipeline.yaml:6:24: error: bad schedule '0 3 * * 8' in trigger 1: day-of-week "
                       "field '8': out of range 0-7"))
      << r.err;
  EXPECT_TRUE(
      Contains(r.err, "pipeline.yaml:7:33: error: on_change path 'data/new/' of trigger 2 does not exist"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "hint: create it or fix the path")) << r.err;
  EXPECT_TRUE(
      Contains(r.err, "pipeline.yaml:9:21: error: webhook 'retrain' is declared twice (first at line 8)"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "pipeline.yaml:10:11: error: cooldown: bad duration 'soon'")) << r.err;
  EXPECT_TRUE(Contains(r.err, "4 errors in pipeline.yaml")) << r.err;

  auto run = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_FALSE(std::filesystem::exists(p.Path("ran")));

  auto json = p.Mlpipe({"validate", "--json", "pipeline.yaml"});
  EXPECT_EQ(json.exit_code, 2);
  EXPECT_TRUE(Contains(json.out, "\"line\": 6")) << json.out;
  EXPECT_TRUE(Contains(json.out, "\"column\": 24")) << json.out;
}

const char* kRegistering = R"y(pipeline: {NAME}
steps:
  train:
    run: touch ${outputs.model}/manifest.json
    outputs: {model: model}
register:
  - model: {REGISTERS}
    from: train.model
triggers:
  - schedule: "@daily"
  - on_model: {model: {WATCHES}, alias: champion}
)y";

std::string Registering(const std::string& name, const std::string& registers, const std::string& watches) {
  std::string text = kRegistering;
  for (auto [key, value] : {std::pair<std::string, std::string>{"{NAME}", name},
                            {"{REGISTERS}", registers},
                            {"{WATCHES}", watches}}) {
    text.replace(text.find(key), key.size(), value);
  }
  return text;
}

TEST(TriggersE2ETest, ValidateOfSeveralFilesFindsALoopBetweenThem) {
  Project p("triggers-loop");
  p.Write("lending_club.yaml", Registering("lending_club", "features", "scores"));
  p.Write("scoring.yaml", Registering("scoring", "scores", "features"));
  p.Write("other.yaml", Registering("other", "other", "features"));
  for (const char* file : {"lending_club.yaml", "scoring.yaml"}) {
    auto alone = p.Mlpipe({"validate", file});
    EXPECT_EQ(alone.exit_code, 0) << alone.out << alone.err;
    EXPECT_TRUE(Contains(alone.out, "is valid (1 step, 0 params, 2 triggers)")) << alone.out;
  }
  auto r = p.Mlpipe({"validate", "other.yaml", "lending_club.yaml", "scoring.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(Contains(r.err,
                       "lending_club.yaml:11:5: error: trigger on_model#2 of pipeline 'lending_club' starts "
                       "it in a loop: lending_club registers features -> scoring on_model features -> "
                       "scoring registers scores -> lending_club on_model scores"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "1 error in lending_club.yaml")) << r.err;
  auto no_loop = p.Mlpipe({"validate", "other.yaml", "scoring.yaml"});
  EXPECT_EQ(no_loop.exit_code, 0) << no_loop.out << no_loop.err;
}

}  // namespace
}  // namespace mlpipe::e2e
