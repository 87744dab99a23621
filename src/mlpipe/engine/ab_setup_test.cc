#include "mlpipe/engine/ab_setup.h"

#include <gtest/gtest.h>

#include "mlpipe/base/testing/temp_dir.h"
#include "mlpipe/engine/load.h"

namespace mlpipe::engine {
namespace {

// A pipeline of built-ins with `extra` appended to its text (params:,
// register:, more steps).
std::string TabularPipeline(const std::string& name, const std::string& params, const std::string& extra) {
  return "pipeline: " + name + "\n" + params +
         "steps:\n"
         "  split:\n"
         "    uses: mlpipe/split\n"
         "    inputs: {data: data/d.csv}\n"
         "  transform:\n"
         "    uses: mlpipe/transform\n"
         "    inputs: {train: split.train}\n"
         "    params: {target: y}\n"
         "  train:\n"
         "    uses: mlpipe/train\n"
         "    inputs: {train: split.train, transform: transform.transform}\n" +
         extra;
}

const char* const kEvaluate =
    "  evaluate:\n"
    "    uses: mlpipe/evaluate\n"
    "    inputs: {model: train.model, test: split.test}\n"
    "    params: {metric: \"${params.metric}\"}\n";

class AbSetupTest : public ::testing::Test {
 protected:
  spec::PipelineSpec Load(const std::string& file, const std::string& yaml) {
    dir_.Write("data/d.csv", "x,y\n1,0\n2,1\n");
    auto loaded = LoadPipelineForRun(dir_.Write(file, yaml), {});
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    params_ = loaded.ok() ? loaded->params : nlohmann::json();
    return loaded.ok() ? loaded->spec : spec::PipelineSpec{};
  }
  mlpipe::testing::TempDir dir_{"ab-setup"};
  nlohmann::json params_;
};

TEST_F(AbSetupTest, OverridesGoToEachPipelineThatDeclaresTheParam) {
  spec::PipelineSpec a = Load("a.yaml", TabularPipeline("a", "params: {seed: 1, rounds: 5}\n", ""));
  spec::PipelineSpec b = Load("b.yaml", TabularPipeline("b", "params: {seed: 1, depth: 3}\n", ""));
  auto split = SplitParamOverrides(a, b, {"seed=3", "rounds=9", "depth=2"});
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_EQ(split->a, (std::vector<std::string>{"seed=3", "rounds=9"}));
  EXPECT_EQ(split->b, (std::vector<std::string>{"seed=3", "depth=2"}));

  auto unknown = SplitParamOverrides(a, b, {"roundz=3"});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("neither"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("did you mean 'rounds'"), std::string::npos);
  EXPECT_EQ(SplitParamOverrides(a, b, {"seed"}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AbSetupTest, TheModelIsTheFlagElseTheRegisteredOneElseTheEvaluatedOne) {
  spec::PipelineSpec registered = Load(
      "r.yaml", TabularPipeline("r", "params: {metric: \"\"}\n",
                                std::string(kEvaluate) + "register:\n  - {model: m, from: train.model}\n"));
  auto pick = PickModel(registered, "", "--model-a");
  ASSERT_TRUE(pick.ok()) << pick.status().ToString();
  EXPECT_EQ(pick->Label(), "train.model");
  EXPECT_EQ(pick->why, "register: m");

  spec::PipelineSpec evaluated = Load("e.yaml", TabularPipeline("e", "params: {metric: f1}\n", kEvaluate));
  pick = PickModel(evaluated, "", "--model-a");
  ASSERT_TRUE(pick.ok()) << pick.status().ToString();
  EXPECT_TRUE(pick->input);
  EXPECT_EQ(pick->step, "evaluate");
  EXPECT_EQ(pick->name, "model");
  EXPECT_EQ(EvaluateMetricParam(evaluated, params_), "f1");

  pick = PickModel(evaluated, "train.model", "--model-b");
  ASSERT_TRUE(pick.ok());
  EXPECT_FALSE(pick->input);
  EXPECT_EQ(pick->why, "--model-b");
}

TEST_F(AbSetupTest, NoModelToPickIsAnErrorSayingWhatToPass) {
  spec::PipelineSpec bare = Load("bare.yaml", TabularPipeline("bare", "", ""));
  auto model = PickModel(bare, "", "--model-b");
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("no built-in evaluate step"), std::string::npos);
  EXPECT_NE(model.status().message().find("--model-b STEP.OUTPUT"), std::string::npos);
  auto test = PickTest(bare, "");
  EXPECT_NE(test.status().message().find("--test STEP.OUTPUT"), std::string::npos);
  EXPECT_FALSE(EvaluateTestInput(bare).has_value());

  auto typo = PickModel(bare, "trainn.model", "--model-a");
  EXPECT_NE(typo.status().message().find("did you mean 'train'"), std::string::npos);
  auto output = PickModel(bare, "train.modle", "--model-a");
  EXPECT_NE(output.status().message().find("has no output 'modle'"), std::string::npos);
  auto wrong_type = PickModel(bare, "split.train", "--model-a");
  EXPECT_NE(wrong_type.status().message().find("is a dataset, not a model"), std::string::npos);
  auto shape = PickModel(bare, "train", "--model-a");
  EXPECT_NE(shape.status().message().find("expected STEP.OUTPUT"), std::string::npos);
  auto rows = PickTest(bare, "split.test");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->Label(), "split.test");
}

}  // namespace
}  // namespace mlpipe::engine
