// A run's params through the API are checked as `mlpipe run -p` checks them.
#include "mlpipe/server/manual_run_params.h"

#include <gtest/gtest.h>

#include "mlpipe/spec/loader.h"

namespace mlpipe::server {
namespace {

spec::PipelineSpec ManualRunSpec() {
  spec::LoadOptions options;
  options.check_files = false;
  auto result = spec::LoadPipelineString(R"(
pipeline: p
params:
  seed: 42
  eta: 0.3
  optimizer: adam
  fast: true
  layers: [64, 32]
steps:
  s:
    run: echo ${params.seed} ${params.eta} ${params.optimizer} ${params.fast} ${params.layers}
)",
                                         "p.yaml", "/tmp", options);
  EXPECT_TRUE(result.ok()) << result.ErrorText();
  return result.spec;
}

TEST(ManualRunParamsTest, ARunsOwnParamsBecomeItsOverrides) {
  auto texts = CheckManualRunParams(
      ManualRunSpec(),
      nlohmann::json::parse(
          R"({"seed": 7, "eta": 0.1, "optimizer": "sgd", "fast": false, "layers": [8, 4]})"));
  ASSERT_TRUE(texts.ok()) << texts.status().ToString();
  const std::vector<std::string> want = {"eta=0.1", "fast=false", "layers=[8,4]", "optimizer=sgd", "seed=7"};
  EXPECT_EQ(*texts, want);
  EXPECT_EQ(ParamOverrideTexts(R"({"seed":7,"optimizer":"sgd"})"),
            (std::vector<std::string>{"optimizer=sgd", "seed=7"}));
  EXPECT_TRUE(ParamOverrideTexts("").empty());
}

TEST(ManualRunParamsTest, UnknownOrIllTypedParamsAreNamed) {
  auto message = [](const char* body) {
    auto texts = CheckManualRunParams(ManualRunSpec(), nlohmann::json::parse(body));
    EXPECT_FALSE(texts.ok()) << body;
    EXPECT_EQ(texts.status().code(), StatusCode::kInvalidArgument);
    return std::string(texts.status().message());
  };
  EXPECT_EQ(message(R"({"sed": 7})"), "\"params\": sed=7: unknown param 'sed'; did you mean 'seed'?");
  EXPECT_EQ(message(R"({"seed": "seven"})"), "\"params\": seed=seven: param 'seed' is int, got 'seven'");
  EXPECT_EQ(message(R"({"seed": null})"),
            "\"params\": param 'seed' must be a number, a string, true/false or a list, not null");
  EXPECT_NE(message(R"([1])").find("\"params\" must be an object"), std::string::npos);
}

}  // namespace
}  // namespace mlpipe::server
