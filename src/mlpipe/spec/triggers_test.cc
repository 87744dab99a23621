// The triggers: list, the brakes (concurrency:, cooldown:, max_runs_per_day:),
// ci: and tests:: what each parses into, and each error with its
// file:line:column, message and hint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "mlpipe/metadata/model_names.h"
#include "mlpipe/spec/loader.h"
#include "mlpipe/spec/test_util.h"
#include "mlpipe/spec/trigger_json.h"

namespace mlpipe::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using Kind = TriggerSpec::Kind;

const char* kBase = R"(pipeline: p
params:
  sample: 1.0
steps:
  train:
    run: echo ${outputs.model}
    outputs: {model: model}
register:
  - model: features
    from: train.model
)";
// kBase is 10 lines: the block under test starts on line 11.

class TriggersSpecTest : public ::testing::Test {
 protected:
  TriggersSpecTest() {
    std::filesystem::create_directories(dir_.Sub(".mlpipe"));  // the project is dir_
    std::filesystem::create_directories(dir_.Sub("data/new"));
    dir_.Write("data/loans.csv", "a\n1\n");
  }
  LoadResult Load(const std::string& block) {
    LoadOptions options;
    options.check_model_name = [](std::string_view n) { return metadata::ValidateModelName(n); };
    options.check_alias_name = [](std::string_view a) { return metadata::ValidateAliasName(a); };
    return LoadPipelineString(std::string(kBase) + block, "p.yaml", dir_.path(), options);
  }
  std::vector<std::string> Errors(const std::string& block) {
    std::vector<std::string> out;
    for (const auto& d : Load(block).diagnostics) out.push_back(d.ToString());
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(TriggersSpecTest, DefaultsWithoutTriggers) {
  auto r = Load("");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_THAT(r.spec.triggers, IsEmpty());
  EXPECT_EQ(r.spec.concurrency, 1);
  EXPECT_EQ(r.spec.cooldown_ns, 0);
  EXPECT_EQ(r.spec.max_runs_per_day, 0);
  EXPECT_THAT(r.spec.ci_params, IsEmpty());
  EXPECT_THAT(r.spec.steps[0].tests, IsEmpty());
}

TEST_F(TriggersSpecTest, ReadsEveryKindWithIdsAndPlaces) {
  auto r = Load(R"(triggers:
  - schedule: "0 3 * * 1-5"
  - on_change: [data/loans.csv, data/new/]
  - on_commit: {repo: ., branch: main}
  - on_model: {model: upstream, alias: champion}
  - webhook: retrain
  - on_drift: {deployment: lending-club, psi: 0.2, ks_p: 0.01, min_rows: 1000}
  - all:
      - on_change: data/new/
      - since_last_run: 7d
  - any: [{schedule: "@weekly"}, {webhook: nightly.v2}, {on_model: other@staging}]
  - on_commit:
concurrency: 2
cooldown: 1h
max_runs_per_day: 6
)");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  const auto& t = r.spec.triggers;
  ASSERT_EQ(t.size(), 9u);
  EXPECT_EQ(t[0].kind, Kind::kSchedule);
  EXPECT_EQ(t[0].id, "schedule#1");
  ASSERT_TRUE(t[0].cron.has_value());
  EXPECT_EQ(t[0].cron->Describe(), "0 3 * * 1-5");
  EXPECT_EQ(t[0].loc.ToString(), "p.yaml:12:5");
  EXPECT_EQ(t[1].id, "on_change#2");
  EXPECT_THAT(t[1].paths, ElementsAre("data/loans.csv", "data/new/"));
  EXPECT_EQ(t[2].kind, Kind::kOnCommit);
  EXPECT_EQ(t[2].repo, ".");
  EXPECT_EQ(t[2].branch, "main");
  EXPECT_EQ(t[3].id, "on_model#4");
  EXPECT_EQ(t[3].model, "upstream");
  EXPECT_EQ(t[3].alias, "champion");
  EXPECT_EQ(t[4].kind, Kind::kWebhook);
  EXPECT_EQ(t[4].id, "retrain");  // a webhook's id is its name
  EXPECT_EQ(t[4].webhook, "retrain");
  EXPECT_EQ(t[5].deployment, "lending-club");
  EXPECT_DOUBLE_EQ(t[5].psi, 0.2);
  EXPECT_DOUBLE_EQ(t[5].ks_p, 0.01);
  EXPECT_EQ(t[5].min_rows, 1000);
  EXPECT_EQ(t[6].kind, Kind::kAll);
  EXPECT_EQ(t[6].id, "all#7");
  ASSERT_EQ(t[6].children.size(), 2u);
  EXPECT_EQ(t[6].children[0].id, "all#7/on_change#1");
  EXPECT_THAT(t[6].children[0].paths, ElementsAre("data/new/"));
  EXPECT_EQ(t[6].children[1].kind, Kind::kSinceLastRun);
  EXPECT_EQ(t[6].children[1].id, "all#7/since_last_run#2");
  EXPECT_EQ(t[6].children[1].since_ns, int64_t{7} * 24 * 3600 * 1'000'000'000);
  EXPECT_EQ(t[6].children[1].loc.ToString(), "p.yaml:20:9");
  ASSERT_EQ(t[7].children.size(), 3u);
  EXPECT_EQ(t[7].children[0].cron->Describe(), "@weekly");
  EXPECT_EQ(t[7].children[1].id, "nightly.v2");
  EXPECT_EQ(t[7].children[2].id, "any#8/on_model#3");
  EXPECT_EQ(t[7].children[2].model, "other");
  EXPECT_EQ(t[7].children[2].alias, "staging");
  EXPECT_EQ(t[8].repo, ".");  // on_commit with nothing: the pipeline's repository, its checked-out branch
  EXPECT_EQ(t[8].branch, "");
  EXPECT_EQ(r.spec.concurrency, 2);
  EXPECT_EQ(r.spec.cooldown_ns, int64_t{3600} * 1'000'000'000);
  EXPECT_EQ(r.spec.max_runs_per_day, 6);
  EXPECT_STREQ(TriggerKindName(Kind::kSinceLastRun), "since_last_run");
}

TEST_F(TriggersSpecTest, UnknownKindAndShape) {
  EXPECT_THAT(Errors("triggers:\n  - on_chnage: [data/]\n"),
              ElementsAre("p.yaml:12:5: error: unknown trigger kind 'on_chnage' in trigger 1\n"
                          "  hint: did you mean 'on_change'?"));
  EXPECT_THAT(Errors("triggers:\n  - schedule: \"@daily\"\n    webhook: x\n"),
              ElementsAre("p.yaml:12:5: error: trigger 1 must be a map of one key, its kind, got a map of 2 "
                          "keys (schedule, webhook)\n"
                          "  hint: write each trigger as its own list item; all: [...] combines conditions"));
  EXPECT_THAT(
      Errors("triggers:\n  - daily\n"),
      ElementsAre(HasSubstr("p.yaml:12:5: error: trigger 1 must be a map of one key, its kind, got")));
  EXPECT_THAT(Errors("triggers: {schedule: \"@daily\"}\n"),
              ElementsAre(HasSubstr("p.yaml:11:11: error: triggers: must be a list, got a map")));
  EXPECT_THAT(Errors("trigers:\n  - webhook: x\n"),
              ElementsAre(HasSubstr("p.yaml:11:1: error: unknown key 'trigers' in the pipeline\n"
                                    "  hint: did you mean 'triggers'?")));
}

TEST_F(TriggersSpecTest, BadScheduleNamesTheFieldAtItsColumn) {
  // "  - schedule: \"0 3 * * 8\"": the quote is column 15, the fifth field column 24.
  EXPECT_THAT(Errors("triggers:\n  - schedule: \"0 3 * * 8\"\n"),
              ElementsAre(::testing::StartsWith("p.yaml:12:24: error: bad schedule '0 3 * * 8' in trigger 1: "
                                                "day-of-week field '8': out of range 0-7\n"
                                                "  hint: five fields: minute hour")));
  EXPECT_THAT(Errors("triggers:\n  - schedule: 0 25 * * *\n"),
              ElementsAre(HasSubstr("p.yaml:12:17: error: bad schedule '0 25 * * *' in trigger 1: hour field "
                                    "'25': out of range 0-23")));
  EXPECT_THAT(
      Errors("triggers:\n  - schedule: \"0 3 * *\"\n"),
      ElementsAre(HasSubstr("p.yaml:12:15: error: bad schedule '0 3 * *' in trigger 1: expected 5 fields")));
}

TEST_F(TriggersSpecTest, OnChangePathsMustExistInsideTheProject) {
  EXPECT_THAT(
      Errors("triggers:\n  - on_change: [data/loans.csv, data/missing.csv]\n"),
      ElementsAre("p.yaml:12:33: error: on_change path 'data/missing.csv' of trigger 1 does not exist "
                  "(resolved to " +
                  dir_.Sub("data/missing.csv") +
                  ")\n  hint: create it or fix the path (relative to the pipeline file's folder)"));
  EXPECT_THAT(
      Errors("triggers:\n  - on_change: ../elsewhere/\n"),
      ElementsAre(HasSubstr("p.yaml:12:16: error: on_change path '../elsewhere/' of trigger 1 is outside "
                            "the project " +
                            dir_.path())));
  EXPECT_THAT(
      Errors("triggers:\n  - on_change: [data/, .]\n"),
      ElementsAre("p.yaml:12:24: error: on_change path '.' of trigger 1 watches the workspace .mlpipe/, "
                  "which every run writes: the pipeline would start itself again and again\n"
                  "  hint: watch the data folders and files the pipeline reads, e.g. data/"));
  EXPECT_THAT(
      Errors("triggers:\n  - on_change: .mlpipe/runs\n"),
      ElementsAre(HasSubstr("p.yaml:12:16: error: on_change path '.mlpipe/runs' of trigger 1 watches the "
                            "workspace")));
  EXPECT_THAT(
      Errors("triggers:\n  - on_change: /etc/passwd\n"),
      ElementsAre(HasSubstr("p.yaml:12:16: error: on_change path '/etc/passwd' of trigger 1 is outside")));
  EXPECT_THAT(Errors("triggers:\n  - on_change: []\n"),
              ElementsAre(HasSubstr("p.yaml:12:16: error: on_change of trigger 1 is an empty list")));
}

TEST_F(TriggersSpecTest, OnChangeInASubfolderPipelineMayReachTheProjectRoot) {
  // pipelines/p.yaml watching ../data/: the project is the folder holding .mlpipe.
  std::filesystem::create_directories(dir_.Sub("pipelines"));
  auto r = LoadPipelineString(std::string(kBase) + "triggers:\n  - on_change: ../data/new/\n", "p.yaml",
                              dir_.Sub("pipelines"));
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_THAT(r.spec.triggers[0].paths, ElementsAre("../data/new/"));
}

TEST_F(TriggersSpecTest, WebhookNamesAndDuplicates) {
  EXPECT_THAT(Errors("triggers:\n  - webhook: re/train\n"),
              ElementsAre("p.yaml:12:14: error: bad webhook name 're/train' in trigger 1\n"
                          "  hint: use 1-128 letters, digits, '.', '_' and '-': it is the last part of POST "
                          "/api/v1/triggers/PIPELINE/NAME"));
  EXPECT_THAT(Errors("triggers:\n  - webhook: retrain\n  - any: [{webhook: retrain}]\n"),
              ElementsAre("p.yaml:13:21: error: webhook 'retrain' is declared twice (first at line 12)\n"
                          "  hint: give each webhook its own name"));
}

TEST_F(TriggersSpecTest, OnDriftThresholds) {
  EXPECT_THAT(
      Errors("triggers:\n  - on_drift: {deployment: d, psi: 0, ks_p: 1.5, min_rows: 0}\n"),
      ElementsAre(HasSubstr("p.yaml:12:36: error: psi of on_drift in trigger 1 must be above 0, got 0"),
                  HasSubstr("p.yaml:12:45: error: ks_p of on_drift in trigger 1 must be between 0 and 1, "
                            "got 1.5"),
                  HasSubstr("p.yaml:12:60: error: min_rows of on_drift in trigger 1 must be at least 1, "
                            "got 0")));
  EXPECT_THAT(Errors("triggers:\n  - on_drift: {psi: 0.2}\n"),
              ElementsAre("p.yaml:12:15: error: on_drift of trigger 1 has no deployment:\n"
                          "  hint: name the deployment whose live traffic is watched: deployment: NAME"));
  EXPECT_THAT(Errors("triggers:\n  - on_drift: {deployment: d, min_row: 5}\n"),
              ElementsAre(HasSubstr("p.yaml:12:31: error: unknown key 'min_row' in on_drift of trigger 1\n"
                                    "  hint: did you mean 'min_rows'?")));
  EXPECT_THAT(
      Errors("triggers:\n  - on_drift: {deployment: d, min_rows: many}\n"),
      ElementsAre(HasSubstr("p.yaml:12:41: error: min_rows of on_drift in trigger 1 must be an integer")));
}

TEST_F(TriggersSpecTest, SinceLastRunOnlyInsideAll) {
  EXPECT_THAT(
      Errors("triggers:\n  - since_last_run: 7d\n"),
      ElementsAre("p.yaml:12:5: error: since_last_run in trigger 1 is only a condition inside all:\n"
                  "  hint: combine it with an event: - all: [{on_change: [data/]}, {since_last_run: 7d}]"));
  EXPECT_THAT(Errors("triggers:\n  - any: [{webhook: w}, {since_last_run: 7d}]\n"),
              ElementsAre(HasSubstr("p.yaml:12:26: error: since_last_run in trigger 2 of any#1 is only a "
                                    "condition inside all:")));
  EXPECT_THAT(Errors("triggers:\n  - all: [{webhook: w}, {since_last_run: a week}]\n"),
              ElementsAre(HasSubstr("p.yaml:12:42: error: since_last_run of trigger 2 of all#1: bad duration "
                                    "'a week'")));
  EXPECT_THAT(
      Errors("triggers:\n  - all: [{since_last_run: 7d}]\n"),
      ElementsAre(HasSubstr("p.yaml:12:10: error: all: of trigger 1 has only since_last_run conditions: "
                            "nothing starts it")));
}

TEST_F(TriggersSpecTest, EmptyCombinations) {
  EXPECT_THAT(Errors("triggers:\n  - all: []\n"),
              ElementsAre("p.yaml:12:10: error: all: of trigger 1 is empty\n"
                          "  hint: write all: [{on_change: [data/]}, {since_last_run: 7d}]"));
  EXPECT_THAT(Errors("triggers:\n  - any:\n"), ElementsAre(HasSubstr("error: any: of trigger 1 is empty")));
  EXPECT_THAT(
      Errors("triggers:\n  - any: {webhook: w}\n"),
      ElementsAre(HasSubstr("p.yaml:12:10: error: any: of trigger 1 must be a list of triggers, got a map")));
  // An error inside a combination is reported at its place, with the path to it.
  EXPECT_THAT(
      Errors("triggers:\n  - any:\n      - all: [{webhook: w}, {schedule: \"61 * * * *\"}]\n"),
      ElementsAre(HasSubstr("p.yaml:13:41: error: bad schedule '61 * * * *' in trigger 2 of any#1/all#1: "
                            "minute field '61'")));
}

TEST_F(TriggersSpecTest, OnModelOfTheModelThePipelineRegistersIsALoop) {
  EXPECT_THAT(
      Errors("triggers:\n  - on_model: {model: features, alias: champion}\n"),
      ElementsAre(
          "p.yaml:12:23: error: on_model 'features' of trigger 1 would start this pipeline in a loop: "
          "pipeline 'p' registers model 'features' itself (register: at line 9)\n"
          "  hint: trigger on a model another pipeline registers; to retrain regularly use schedule: or "
          "on_change:"));
  EXPECT_THAT(
      Errors("triggers:\n  - all: [{on_model: features}, {since_last_run: 1d}]\n"),
      ElementsAre(HasSubstr("p.yaml:12:22: error: on_model 'features' of trigger 1 of all#1 would start "
                            "this pipeline in a loop")));
  EXPECT_THAT(Errors("triggers:\n  - on_model: {alias: champion}\n"),
              ElementsAre(HasSubstr("p.yaml:12:15: error: on_model of trigger 1 has no model:")));
  EXPECT_THAT(
      Errors("triggers:\n  - on_model: up@\n"),
      ElementsAre(HasSubstr("p.yaml:12:15: error: on_model of trigger 1 is 'up@': the alias after '@' is "
                            "empty")));
  EXPECT_THAT(Errors("triggers:\n  - on_model: {model: up, alias: v3}\n"),
              ElementsAre(HasSubstr("p.yaml:12:34: error: alias of on_model in trigger 1: ")));
}

TEST_F(TriggersSpecTest, OnCommitRepoAndBranch) {
  EXPECT_THAT(Errors("triggers:\n  - on_commit: {repo: nowhere, branch: main}\n"),
              ElementsAre(HasSubstr("p.yaml:12:23: error: repo 'nowhere' of on_commit in trigger 1 is not a "
                                    "folder")));
  EXPECT_THAT(Errors("triggers:\n  - on_commit: {branch: \"bad..name\"}\n"),
              ElementsAre("p.yaml:12:25: error: bad branch name 'bad..name' in on_commit of trigger 1\n"
                          "  hint: a git branch name such as main or release/2.x"));
  EXPECT_THAT(Errors("triggers:\n  - on_commit: main\n"),
              ElementsAre(HasSubstr("p.yaml:12:16: error: on_commit of trigger 1 must be a map, got")));
}

TEST_F(TriggersSpecTest, Brakes) {
  EXPECT_THAT(Errors("concurrency: 0\n"),
              ElementsAre("p.yaml:11:14: error: concurrency: must be 1 or more, got 0\n"
                          "  hint: the runs of this pipeline at once (1: one after another)"));
  EXPECT_THAT(Errors("max_runs_per_day: -1\n"),
              ElementsAre(HasSubstr("p.yaml:11:19: error: max_runs_per_day: must be 0 or more, got -1")));
  EXPECT_THAT(Errors("cooldown: 5 minutes\n"),
              ElementsAre(HasSubstr("p.yaml:11:11: error: cooldown: bad duration '5 minutes'")));
  EXPECT_THAT(Errors("max_duration: 0s\n"),
              ElementsAre(HasSubstr("p.yaml:11:15: error: max_duration: must be more than 0")));
  EXPECT_THAT(Errors("max_duration: 2 hours\n"),
              ElementsAre(HasSubstr("p.yaml:11:15: error: max_duration: bad duration '2 hours'")));
  EXPECT_THAT(Errors("concurrency: two\n"),
              ElementsAre(HasSubstr("p.yaml:11:14: error: concurrency must be an integer")));
}

TEST_F(TriggersSpecTest, CiParamsAreCheckedAgainstThePipelineParams) {
  auto r = Load("ci:\n  params: {sample: 0.05}\n");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_EQ(r.spec.ci_params, (std::map<std::string, std::string>{{"sample", "0.05"}}));
  EXPECT_THAT(
      Errors("ci:\n  params: {sampel: 0.05}\n"),
      ElementsAre("p.yaml:12:12: error: ci: sets unknown param 'sampel'\n  hint: did you mean 'sample'?"));
  EXPECT_THAT(Errors("ci:\n  params: {sample: lots}\n"),
              ElementsAre(HasSubstr("p.yaml:12:20: error: param 'sample' of ci: is float, got 'lots'")));
  EXPECT_THAT(Errors("ci:\n  param: {sample: 0.1}\n"),
              ElementsAre(HasSubstr(
                  "p.yaml:12:3: error: unknown key 'param' in ci:\n  hint: did you mean 'params'?")));
}

TEST_F(TriggersSpecTest, StepTests) {
  auto r = LoadPipelineString(R"(pipeline: p
steps:
  s:
    run: echo hi
    tests: ["python3 tests/test_s.py -k 'a b'", make check]
  t:
    run: echo hi
    tests: ./check.sh
)",
                              "p.yaml", dir_.path());
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_THAT(r.spec.steps[0].tests, ElementsAre("python3 tests/test_s.py -k 'a b'", "make check"));
  EXPECT_THAT(r.spec.steps[1].tests, ElementsAre("./check.sh"));
  auto bad =
      LoadPipelineString("pipeline: p\nsteps:\n  s:\n    run: echo hi\n    tests: [\"pytest 'x\", \"\"]\n",
                         "p.yaml", dir_.path());
  ASSERT_EQ(bad.diagnostics.size(), 2u) << bad.ErrorText();
  EXPECT_THAT(
      bad.diagnostics[0].ToString(),
      ::testing::StartsWith("p.yaml:5:13: error: test command 'pytest 'x' of step 's': unterminated"));
  EXPECT_THAT(bad.diagnostics[1].ToString(),
              ::testing::StartsWith("p.yaml:5:26: error: test command '' of step 's': it is empty"));
}

TEST_F(TriggersSpecTest, ComponentTestsReachTheStep) {
  dir_.Write("components/feat.yaml", R"(component: feat
outputs: {out: dataset}
run: echo ${outputs.out}
tests:
  - python3 tests/test_feat.py
)");
  auto r = LoadPipelineString(
      "pipeline: p\nsteps:\n  f:\n    uses: ./components/feat.yaml\n    tests: make lint\n", "p.yaml",
      dir_.path());
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  ASSERT_NE(r.spec.steps[0].component, nullptr);
  EXPECT_THAT(r.spec.steps[0].component->tests, ElementsAre("python3 tests/test_feat.py"));
  EXPECT_THAT(r.spec.steps[0].tests, ElementsAre("make lint"));
}

TEST_F(TriggersSpecTest, JsonShowsEachKindsFields) {
  auto r = Load(R"(triggers:
  - schedule: "@daily"
  - on_drift: {deployment: d, psi: 0.3}
  - all: [{webhook: go}, {since_last_run: 1h}]
cooldown: 30m
ci:
  params: {sample: 0.1}
)");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  nlohmann::json j = TriggersToJson(r.spec);
  EXPECT_EQ(
      j["triggers"][0],
      (nlohmann::json{
          {"id", "schedule#1"}, {"kind", "schedule"}, {"line", 12}, {"column", 5}, {"schedule", "@daily"}}));
  EXPECT_EQ(j["triggers"][1]["psi"], 0.3);
  EXPECT_TRUE(j["triggers"][1]["ks_p"].is_null());  // the monitor's default
  EXPECT_TRUE(j["triggers"][1]["min_rows"].is_null());
  EXPECT_EQ(j["triggers"][2]["children"][0]["name"], "go");
  EXPECT_EQ(j["triggers"][2]["children"][1]["since_ns"], int64_t{3600} * 1'000'000'000);
  EXPECT_EQ(j["concurrency"], 1);
  EXPECT_EQ(j["cooldown_ns"], int64_t{1800} * 1'000'000'000);
  EXPECT_TRUE(j["max_runs_per_day"].is_null());
  EXPECT_EQ(j["ci_params"], (nlohmann::json{{"sample", "0.1"}}));
}

}  // namespace
}  // namespace mlpipe::spec
