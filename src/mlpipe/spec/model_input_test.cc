// Step inputs bound to a registered model ("baseline: churn@champion"): how a
// value is told from a source or STEP.OUTPUT, what validate checks (the
// reference's form, the input's type), and how graphs draw them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/metadata/model_names.h"
#include "mlpipe/spec/graph_export.h"
#include "mlpipe/spec/loader.h"
#include "mlpipe/spec/test_util.h"

namespace mlpipe::spec {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ModelInputSpecTest : public ::testing::Test {
 protected:
  LoadResult Load(const std::string& inputs) {
    LoadOptions options;
    options.check_files = false;
    options.check_model_name = [](std::string_view n) { return metadata::ValidateModelName(n); };
    options.check_alias_name = [](std::string_view a) { return metadata::ValidateAliasName(a); };
    return LoadPipelineString(
        "pipeline: p\nsteps:\n  eval:\n    run: echo ${inputs.m}\n    inputs: " + inputs + "\n", "p.yaml",
        dir_.path(), options);
  }
  std::vector<std::string> Errors(const std::string& inputs) {
    std::vector<std::string> out;
    for (const auto& d : Load(inputs).diagnostics) out.push_back(d.ToString());
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(ModelInputSpecTest, AliasesAndVersionsAreModelReferences) {
  auto r = Load("{m: churn@champion, v: 'fraud.xgb:v12', l: churn@latest}");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  const auto& in = r.spec.steps[0].inputs;
  ASSERT_EQ(in.size(), 3u);
  for (const auto& b : in) EXPECT_EQ(b.kind, InputBinding::Kind::kModel) << b.name;
  EXPECT_EQ(in[0].model_ref(), "churn@champion");
  EXPECT_EQ(in[1].model_ref(), "fraud.xgb:v12");
  EXPECT_EQ(in[0].source_path(), "");
  EXPECT_EQ(in[0].step(), "");
}

TEST_F(ModelInputSpecTest, ASlashMakesASourceEvenWithAtOrColon) {
  auto r = Load("{m: ./data@2024/x.csv, n: 'data/a:b.csv'}");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  const auto& in = r.spec.steps[0].inputs;
  EXPECT_EQ(in[0].kind, InputBinding::Kind::kSource);
  EXPECT_EQ(in[1].kind, InputBinding::Kind::kSource);
}

TEST_F(ModelInputSpecTest, MalformedReferencesAreErrorsWithAHint) {
  // (The dropped input is also reported where the command names it.)
  EXPECT_THAT(Errors("{m: churn@}"),
              Contains("p.yaml:5:17: error: input 'm' of step 'eval' is 'churn@', not a registered model "
                       "reference: the alias is empty\n"
                       "  hint: a registered model is NAME@ALIAS or NAME:vN (e.g. churn@champion, churn:v3); "
                       "write ./churn@ for a file next to the pipeline file"));
  EXPECT_THAT(Errors("{m: 'churn:3'}"), Contains(HasSubstr("the version must be v1, v2, ... (got '3')")));
  EXPECT_THAT(Errors("{m: 'churn:v0'}"), Contains(HasSubstr("the version must be v1, v2, ... (got 'v0')")));
  EXPECT_THAT(Errors("{m: 'a@b:v1'}"), Contains(HasSubstr("it has both '@' and ':'")));
  EXPECT_THAT(Errors("{m: churn@v2}"), Contains(HasSubstr("it would read as a version")));
  EXPECT_THAT(Errors("{m: 'ch urn@champion'}"), Contains(HasSubstr("bad model name 'ch urn'")));
  EXPECT_THAT(Errors("{m: churn}"), Contains(HasSubstr("or churn@champion for a registered model's alias")));
}

TEST_F(ModelInputSpecTest, AModelBoundToAnInputOfAnotherTypeIsAnError) {
  dir_.Write("eval.yaml", "component: eval\ninputs: {test: dataset}\nrun: echo ${inputs.test}\n");
  LoadOptions options;
  auto r = LoadPipelineString(
      "pipeline: p\nsteps:\n  e:\n    uses: eval.yaml\n    inputs: {test: churn@champion}\n", "p.yaml",
      dir_.path(), options);
  std::vector<std::string> errors;
  for (const auto& d : r.diagnostics) errors.push_back(d.ToString());
  EXPECT_THAT(errors,
              ElementsAre(HasSubstr("input 'test' of step 'e' expects type dataset, but churn@champion is a "
                                    "registered model (type model)")));
}

TEST_F(ModelInputSpecTest, GraphsDrawRegisteredModels) {
  auto r = Load("{m: churn@champion}");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_THAT(ToDot(r.spec),
              HasSubstr(R"("model:churn@champion" [label="model churn@champion", shape=cylinder];)"));
  EXPECT_THAT(ToDot(r.spec), HasSubstr(R"("model:churn@champion" -> "step:eval" [label="m"];)"));
  EXPECT_THAT(ToMermaid(r.spec), HasSubstr(R"(src0[["model churn@champion"]])"));
  EXPECT_THAT(ToMermaid(r.spec), HasSubstr("src0 -->|m| s0"));
  EXPECT_TRUE(StepDependencies(r.spec)[0].empty());
}

}  // namespace
}  // namespace mlpipe::spec
