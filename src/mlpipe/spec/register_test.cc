// The register: block: what it parses into, and each of its errors with its
// exact file:line:column, message and hint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/metadata/model_names.h"
#include "mlpipe/spec/loader.h"
#include "mlpipe/spec/test_util.h"

namespace mlpipe::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Two steps: train writes a model, evaluate a blessing and metrics.
const char* kSteps = R"(pipeline: p
steps:
  train:
    run: echo ${outputs.model} ${outputs.data}
    outputs: {model: model, data: dataset}
  evaluate:
    run: echo ${inputs.m} ${outputs.blessing} ${outputs.metrics}
    inputs: {m: train.model}
    outputs: {blessing: blessing, metrics: metrics}
)";
// kSteps is 9 lines: register: starts on line 10.

class RegisterSpecTest : public ::testing::Test {
 protected:
  LoadResult Load(const std::string& register_block) {
    LoadOptions options;
    options.check_model_name = [](std::string_view n) { return metadata::ValidateModelName(n); };
    options.check_alias_name = [](std::string_view a) { return metadata::ValidateAliasName(a); };
    return LoadPipelineString(std::string(kSteps) + register_block, "p.yaml", dir_.path(), options);
  }
  std::vector<std::string> Errors(const std::string& register_block) {
    std::vector<std::string> out;
    for (const auto& d : Load(register_block).diagnostics) out.push_back(d.ToString());
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(RegisterSpecTest, ParsesAListWithEveryKey) {
  auto r = Load(R"(register:
  - model: lending-club
    from: train.model
    alias: candidate
    when: evaluate.blessing
    description: loan defaults
  - model: other.model
    from: train.model
    alias: [staging, canary]
)");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  ASSERT_EQ(r.spec.registers.size(), 2u);
  const RegisterSpec& a = r.spec.registers[0];
  EXPECT_EQ(a.model, "lending-club");
  EXPECT_EQ(a.From(), "train.model");
  EXPECT_THAT(a.aliases, ElementsAre("candidate"));
  EXPECT_EQ(a.When(), "evaluate.blessing");
  EXPECT_EQ(a.description, "loan defaults");
  EXPECT_EQ(a.loc.ToString(), "p.yaml:11:5");
  const RegisterSpec& b = r.spec.registers[1];
  EXPECT_EQ(b.model, "other.model");
  EXPECT_THAT(b.aliases, ElementsAre("staging", "canary"));
  EXPECT_EQ(b.When(), "");
}

TEST_F(RegisterSpecTest, AcceptsASingleMapping) {
  auto r = Load("register: {model: m, from: train.model}\n");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  ASSERT_EQ(r.spec.registers.size(), 1u);
  EXPECT_EQ(r.spec.registers[0].model, "m");
  EXPECT_THAT(r.spec.registers[0].aliases, IsEmpty());
}

TEST_F(RegisterSpecTest, NoBlockMeansNoRegistrations) {
  auto r = Load("");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_THAT(r.spec.registers, IsEmpty());
}

TEST_F(RegisterSpecTest, UnknownKeyHasDidYouMean) {
  EXPECT_THAT(Errors("register:\n  - model: m\n    from: train.model\n    alas: champion\n"),
              ElementsAre("p.yaml:13:5: error: unknown key 'alas' in register entry 1\n"
                          "  hint: did you mean 'alias'?"));
}

TEST_F(RegisterSpecTest, MissingModelAndFrom) {
  EXPECT_THAT(
      Errors("register:\n  - alias: champion\n"),
      ElementsAre(
          "p.yaml:11:5: error: register entry 1 has no model:\n"
          "  hint: add model: NAME (the registered model's name)",
          "p.yaml:11:5: error: register entry 1 has no from:\n"
          "  hint: add from: the `model` output of an mlpipe/train step (e.g. train.model) or an output of "
          "your own step declared `NAME: model`, a folder with a manifest.json (docs/model-packages.md)"));
}

TEST_F(RegisterSpecTest, UnknownStepHasDidYouMean) {
  EXPECT_THAT(Errors("register: {model: m, from: tran.model}\n"),
              ElementsAre("p.yaml:10:28: error: from of register entry 'm' refers to unknown step 'tran'\n"
                          "  hint: did you mean 'train'?"));
}

TEST_F(RegisterSpecTest, UnknownOutputHasDidYouMean) {
  EXPECT_THAT(Errors("register: {model: m, from: train.modl}\n"),
              ElementsAre("p.yaml:10:28: error: from of register entry 'm': step 'train' has no output 'modl'\n"
                          "  hint: did you mean 'train.model'?"));
}

TEST_F(RegisterSpecTest, NotStepDotOutput) {
  EXPECT_THAT(
      Errors("register: {model: m, from: train}\n"),
      ElementsAre(
          "p.yaml:10:28: error: from of register entry 'm' is 'train', not STEP.OUTPUT\n"
          "  hint: name the `model` output of an mlpipe/train step (e.g. train.model) or an output of "
          "your own step declared `NAME: model`, a folder with a manifest.json (docs/model-packages.md)"));
}

TEST_F(RegisterSpecTest, FromMustBeAModel) {
  EXPECT_THAT(Errors("register: {model: m, from: train.data}\n"),
              ElementsAre("p.yaml:10:28: error: from of register entry 'm' must be an output of type model, "
                          "but train.data is of type dataset\n"
                          "  hint: did you mean train.model?"));
}

TEST_F(RegisterSpecTest, WhenMustBeABlessing) {
  EXPECT_THAT(Errors("register: {model: m, from: train.model, when: evaluate.metrics}\n"),
              ElementsAre("p.yaml:10:47: error: when of register entry 'm' must be an output of type blessing, "
                          "but evaluate.metrics is of type metrics\n"
                          "  hint: did you mean evaluate.blessing?"));
  EXPECT_THAT(Errors("register: {model: m, from: train.model, when: train.model}\n"),
              ElementsAre("p.yaml:10:47: error: when of register entry 'm' must be an output of type blessing, "
                          "but train.model is of type model\n"
                          "  hint: name the `blessing` output of an mlpipe/evaluate step, e.g. evaluate.blessing"));
}

TEST_F(RegisterSpecTest, BadModelName) {
  EXPECT_THAT(Errors("register: {model: \"lending club\", from: train.model}\n"),
              ElementsAre("p.yaml:10:19: error: model of register entry 'lending club': bad model name "
                          "'lending club': only letters, digits, '.', '_' and '-' are allowed\n"
                          "  hint: model names are 1-128 letters, digits, '.', '_' and '-'"));
}

TEST_F(RegisterSpecTest, BadAliasNames) {
  auto errors = Errors("register:\n  model: m\n  from: train.model\n  alias: [latest, v2, ok]\n");
  EXPECT_THAT(errors,
              ElementsAre("p.yaml:13:11: error: alias of register entry 'm': 'latest' is reserved "
                          "(NAME@latest is always the newest version)\n"
                          "  hint: aliases are 1-128 letters, digits, '.', '_' and '-', starting with a letter; "
                          "not 'latest' nor vN",
                          "p.yaml:13:19: error: alias of register entry 'm': bad alias 'v2': it would read as a "
                          "version (use NAME:vN for those)\n"
                          "  hint: aliases are 1-128 letters, digits, '.', '_' and '-', starting with a letter; "
                          "not 'latest' nor vN"));
}

TEST_F(RegisterSpecTest, NotAMapOrList) {
  EXPECT_THAT(Errors("register: train.model\n"),
              ElementsAre("p.yaml:10:11: error: register: must be a map or a list of maps, got 'train.model'\n"
                          "  hint: write register:\n    - model: NAME\n      from: STEP.OUTPUT"));
  EXPECT_THAT(Errors("register:\n  - train.model\n"),
              ElementsAre("p.yaml:11:5: error: register entry 1 must be a map like {model: NAME, from: "
                          "train.model}, got 'train.model'\n"
                          "  hint: write register:\n    - model: NAME\n      from: STEP.OUTPUT"));
}

TEST_F(RegisterSpecTest, SameModelTwice) {
  EXPECT_THAT(Errors("register:\n  - {model: m, from: train.model}\n  - {model: m, from: train.model}\n"),
              ElementsAre("p.yaml:12:5: error: model 'm' is registered twice in register: (first at line 11)\n"
                          "  hint: one entry per model name: a run registers one version of each model"));
}

TEST_F(RegisterSpecTest, EveryErrorAtOnce) {
  // One pass: errors of several entries and of the steps come together.
  auto errors = Errors("register:\n  - {model: m, from: nope.model}\n  - {model: n, from: train.model, when: x.y}\n");
  EXPECT_EQ(errors.size(), 2u);
}

}  // namespace
}  // namespace mlpipe::spec
