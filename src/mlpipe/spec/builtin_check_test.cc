// The loader hands the params of steps using built-ins, and of the built-in
// steps they read from, to LoadOptions::check_builtin_params, and reports
// each problem where the param is bound.
#include <gtest/gtest.h>

#include "mlpipe/spec/loader.h"

namespace mlpipe::spec {
namespace {

LoadOptions WithBuiltins(std::vector<BuiltinStepView>* seen, std::vector<std::string>* upstream_seen) {
  LoadOptions options;
  options.check_files = false;
  options.builtin_resolver = [](const std::string& name) -> std::optional<std::string> {
    if (name == "split") {
      return std::string(
          "builtin: split\ninputs: {data: dataset}\noutputs: {train: dataset}\n"
          "params: {method: random, seed: 1, column: \"\"}\n");
    }
    if (name == "train") {
      return std::string(
          "builtin: train\ninputs: {train: dataset}\noutputs: {model: model}\n"
          "params: {rounds: 10}\n");
    }
    return std::nullopt;
  };
  // A rule: method must be random or stratified, and train wants 10 rounds
  // when its split is stratified.
  options.check_builtin_params = [seen, upstream_seen](
                                     const BuiltinStepView& step,
                                     const std::map<std::string, BuiltinStepView>& upstream) {
    seen->push_back(step);
    std::vector<BuiltinParamProblem> problems;
    if (step.builtin == "split" && step.params["method"].is_string() && step.params["method"] != "random" &&
        step.params["method"] != "stratified") {
      problems.push_back({"method", "bad method", "use random"});
    }
    if (step.builtin == "split" && step.params["column"] == "") {
      problems.push_back({"column", "no column", ""});
    }
    for (const auto& [input, view] : upstream) {
      upstream_seen->push_back(input + "<-" + view.step + ":" + view.builtin + ":" +
                               view.params["method"].dump());
    }
    return problems;
  };
  return options;
}

TEST(BuiltinCheckTest, ProblemsAreReportedWhereTheParamIsBoundOrAtUses) {
  std::vector<BuiltinStepView> seen;
  std::vector<std::string> upstream;
  auto result = LoadPipelineString(R"(pipeline: p
params:
  how: {type: string, default: stratified}
steps:
  split:
    uses: mlpipe/split
    inputs: {data: data/rows.csv}
    params:
      seed: 3
      method: time
  train:
    uses: mlpipe/train
    inputs: {train: split.train}
)",
                                   "p.yaml", ".", WithBuiltins(&seen, &upstream));
  ASSERT_EQ(result.diagnostics.size(), 2u) << result.ErrorText();
  // An unbound param's default is reported at the step's uses:.
  EXPECT_EQ(result.diagnostics[0].ToString(), "p.yaml:6:11: error: step 'split': no column");
  EXPECT_EQ(result.diagnostics[1].ToString(),
            "p.yaml:10:7: error: step 'split': bad method\n  hint: use random");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].step, "split");
  EXPECT_EQ(seen[0].params["seed"], 3);
  EXPECT_EQ(seen[0].params["column"], "");  // the component's default
  EXPECT_EQ(upstream, std::vector<std::string>{"train<-split:split:\"time\""});
}

TEST(BuiltinCheckTest, PipelineParamsGiveTheirDefaultOtherTemplatesAreUnknown) {
  std::vector<BuiltinStepView> seen;
  std::vector<std::string> upstream;
  auto result = LoadPipelineString(R"(pipeline: p
params:
  how: {type: string, default: stratified}
  col: y
steps:
  a:
    uses: mlpipe/split
    inputs: {data: data/rows.csv}
    params: {method: "${params.how}", column: "${params.col}"}
  b:
    uses: mlpipe/split
    inputs: {data: data/rows.csv}
    params: {method: "x-${params.how}", column: "${run.id}"}
)",
                                   "p.yaml", ".", WithBuiltins(&seen, &upstream));
  EXPECT_TRUE(result.ok()) << result.ErrorText();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].params["method"], "stratified");
  EXPECT_EQ(seen[0].params["column"], "y");
  EXPECT_TRUE(seen[1].params["method"].is_null());
  EXPECT_TRUE(seen[1].params["column"].is_null());
}

}  // namespace
}  // namespace mlpipe::spec
