#include "mlpipe/spec/params.h"

#include <gtest/gtest.h>

#include "mlpipe/spec/loader.h"

namespace mlpipe::spec {
namespace {

PipelineSpec Spec() {
  LoadOptions options;
  options.check_files = false;
  auto result = LoadPipelineString(R"(
pipeline: p
params:
  word: hello
  repeat: 3
  eta: 0.3
  fast: true
  tags: [a, b]
  depth: {type: int, default: 6, description: tree depth}
  rate: {type: float, default: 1}
steps:
  s:
    run: echo ${params.word} ${params.repeat} ${params.eta} ${params.fast} ${params.tags} ${params.depth} ${params.rate}
)",
                                   "p.yaml", "/tmp", options);
  EXPECT_TRUE(result.ok()) << result.ErrorText();
  return result.spec;
}

TEST(ParamsTest, ShortAndLongFormsInferAndDeclareTypes) {
  PipelineSpec spec = Spec();
  ASSERT_EQ(spec.params.size(), 7u);
  EXPECT_EQ(spec.FindParam("word")->type, ParamType::kString);
  EXPECT_EQ(spec.FindParam("repeat")->type, ParamType::kInt);
  EXPECT_EQ(spec.FindParam("eta")->type, ParamType::kFloat);
  EXPECT_EQ(spec.FindParam("fast")->type, ParamType::kBool);
  EXPECT_EQ(spec.FindParam("tags")->type, ParamType::kList);
  EXPECT_EQ(spec.FindParam("depth")->type, ParamType::kInt);
  EXPECT_EQ(spec.FindParam("depth")->description, "tree depth");
  EXPECT_EQ(spec.FindParam("rate")->type, ParamType::kFloat);
  EXPECT_TRUE(spec.FindParam("rate")->default_value.is_number_float());
}

TEST(ApplyParamOverridesTest, DefaultsWhenNothingGiven) {
  auto params = ApplyParamOverrides(Spec(), {});
  ASSERT_TRUE(params.ok());
  EXPECT_EQ((*params)["word"], "hello");
  EXPECT_EQ((*params)["repeat"], 3);
  EXPECT_EQ((*params)["tags"], nlohmann::json({"a", "b"}));
}

TEST(ApplyParamOverridesTest, ParsesEachTypeAndLaterWins) {
  auto params = ApplyParamOverrides(
      Spec(), {"repeat=5", "word=a b;c", "eta=1", "fast=no", "tags=x,2,true", "depth=7", "depth=8"});
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  EXPECT_EQ((*params)["repeat"], 5);
  EXPECT_EQ((*params)["word"], "a b;c");
  EXPECT_TRUE((*params)["eta"].is_number_float());
  EXPECT_EQ((*params)["fast"], false);
  EXPECT_EQ((*params)["tags"], nlohmann::json::parse(R"(["x", 2, true])"));
  EXPECT_EQ((*params)["depth"], 8);
}

TEST(ApplyParamOverridesTest, ListFromJson) {
  auto params = ApplyParamOverrides(Spec(), {"tags=[1, 2]"});
  ASSERT_TRUE(params.ok());
  EXPECT_EQ((*params)["tags"], nlohmann::json({1, 2}));
  EXPECT_FALSE(ApplyParamOverrides(Spec(), {"tags=[1, 2"}).ok());
}

// A list nested 10,000 deep used to overflow the stack when expanded: -p
// lists hold plain values, as YAML defaults do, and the error names the param
// without echoing all 20 KB of the value.
TEST(ApplyParamOverridesTest, NestedListIsRejectedNamingTheParam) {
  auto nested = ApplyParamOverrides(Spec(), {"tags=[1, [2]]"});
  ASSERT_FALSE(nested.ok());
  EXPECT_EQ(nested.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(nested.status().message(),
            "-p tags=[1, [2]]: param 'tags' is list: item 2 is a list; a list param holds plain values "
            "(number, string or bool)");
  EXPECT_FALSE(ApplyParamOverrides(Spec(), {"tags=[{\"a\": 1}]"}).ok());
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  auto too_deep = ApplyParamOverrides(Spec(), {"tags=" + deep});
  ASSERT_FALSE(too_deep.ok());
  EXPECT_NE(too_deep.status().message().find("param 'tags'"), std::string::npos);
  EXPECT_LT(too_deep.status().message().size(), 300u) << too_deep.status().message();
}

TEST(ApplyParamOverridesTest, WrongTypeNamesParamTypeAndValue) {
  auto params = ApplyParamOverrides(Spec(), {"repeat=abc"});
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.status().message(), "-p repeat=abc: param 'repeat' is int, got 'abc'");
  EXPECT_EQ(ApplyParamOverrides(Spec(), {"eta=fast"}).status().message(),
            "-p eta=fast: param 'eta' is float, got 'fast'");
  EXPECT_EQ(ApplyParamOverrides(Spec(), {"fast=maybe"}).status().message(),
            "-p fast=maybe: param 'fast' is bool, got 'maybe'");
}

TEST(ApplyParamOverridesTest, UnknownNameSuggestsClosest) {
  auto params = ApplyParamOverrides(Spec(), {"repaet=3"});
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.status().message(), "-p repaet=3: unknown param 'repaet'; did you mean 'repeat'?");
  EXPECT_EQ(ApplyParamOverrides(Spec(), {"repeat"}).status().message(), "-p repeat: expected NAME=VALUE");
}

TEST(ParseParamTextTest, IntRejectsFractions) {
  EXPECT_FALSE(ParseParamText(ParamType::kInt, "1.5").ok());
  EXPECT_EQ(*ParseParamText(ParamType::kInt, "-4"), -4);
  EXPECT_EQ(*ParseParamText(ParamType::kList, ""), nlohmann::json::array());
}

StepSpec ComponentStep() {
  StepSpec step;
  step.name = "train";
  ParamSpec depth{"depth", ParamType::kInt, 6, "", {}};
  ParamSpec eta{"eta", ParamType::kFloat, 0.3, "", {}};
  ParamSpec tags{"tags", ParamType::kList, nlohmann::json::array(), "", {}};
  ParamSpec label{"label", ParamType::kString, "x", "", {}};
  step.component =
      std::make_shared<const ComponentRef>(ComponentRef{"train", "", "", {depth, eta, tags, label}, ""});
  step.params = {{"depth", "${params.max_depth}"},
                 {"eta", 0.3},
                 {"tags", "${params.all}"},
                 {"label", "run-${params.max_depth}-$$"}};
  return step;
}

TEST(ResolveStepParamsTest, InlineStepGetsPipelineParams) {
  StepSpec step;
  nlohmann::json pipeline = {{"a", 1}};
  EXPECT_EQ(*ResolveStepParams(step, pipeline), pipeline);
}

TEST(ResolveStepParamsTest, ComponentTemplatesExpandAgainstPipelineParams) {
  auto params = ResolveStepParams(ComponentStep(), {{"max_depth", 8}, {"all", {"a", "b"}}});
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  EXPECT_EQ((*params)["depth"], 8);
  EXPECT_EQ((*params)["eta"], 0.3);
  EXPECT_EQ((*params)["tags"], nlohmann::json({"a", "b"}));
  EXPECT_EQ((*params)["label"], "run-8-$");
}

TEST(ResolveStepParamsTest, TypeMismatchAfterExpansionIsAnError) {
  auto params = ResolveStepParams(ComponentStep(), {{"max_depth", "deep"}, {"all", nlohmann::json::array()}});
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.status().message(), "step 'train': param 'depth' is int, got 'deep'");
}

TEST(ResolveStepParamsTest, StringPipelineParamHoldingANumberIsAccepted) {
  auto params = ResolveStepParams(ComponentStep(), {{"max_depth", "9"}, {"all", nlohmann::json::array()}});
  ASSERT_TRUE(params.ok()) << params.status().ToString();
  EXPECT_EQ((*params)["depth"], 9);
}

TEST(ResolveStepParamsTest, MissingPipelineParamIsNotFound) {
  auto params = ResolveStepParams(ComponentStep(), {{"all", nlohmann::json::array()}});
  ASSERT_FALSE(params.ok());
  EXPECT_EQ(params.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace mlpipe::spec
