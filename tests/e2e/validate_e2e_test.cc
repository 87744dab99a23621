// End-to-end: spec errors through the real binary. The error classes are
// covered one by one in src/mlpipe/spec/*_test.cc; here we check the CLI
// contract: every error printed with file:line:column, exit 2, nothing runs.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

const char* kBroken = R"y(pipeline: broken
steps:
  generate:
    run: python3 -c "print(1)" ${outputs.text}
    outputs:
      text: dataset
    retires: 2
  count:
    run: wc ${inputs.text} ${outputs.counts}
    inputs:
      text: generat.text
    outputs:
      counts: metrics
)y";

TEST(ValidateE2ETest, ReportsEveryErrorWithPosition) {
  Project p("validate");
  p.Write("pipeline.yaml", kBroken);
  auto r = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  std::string all = r.out + r.err;
  EXPECT_TRUE(Contains(all, "pipeline.yaml:7:5")) << all;    // retires
  EXPECT_TRUE(Contains(all, "retries")) << all;              // did you mean
  EXPECT_TRUE(Contains(all, "pipeline.yaml:11:13")) << all;  // generat.text
  EXPECT_TRUE(Contains(all, "generate")) << all;
}

TEST(ValidateE2ETest, ValidSpecPasses) {
  Project p("validate-ok");
  p.CopyFromRepo("examples/textstats", ".");
  auto r = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(ValidateE2ETest, RunOnInvalidSpecRunsNothing) {
  Project p("validate-run");
  p.Write("pipeline.yaml", R"y(pipeline: broken
steps:
  touch:
    run: touch ${pipeline.dir}/ran
  bad:
    run: echo ${params.missing}
)y");
  auto r = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "params.missing") || Contains(r.err, "missing")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(p.Path("ran")));
}

TEST(ValidateE2ETest, BadParamOverrideIsUsageError) {
  Project p("validate-param");
  p.CopyFromRepo("examples/textstats", ".");
  auto r = p.Mlpipe({"run", "pipeline.yaml", "-p", "repeat=many"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.err, "repeat")) << r.err;
  auto r2 = p.Mlpipe({"run", "pipeline.yaml", "-p", "repeats=3"});
  EXPECT_EQ(r2.exit_code, 2);
  EXPECT_TRUE(Contains(r2.err, "repeat")) << r2.err;  // did you mean
}

// A -p list nested 10,000 levels (20 KB) used to overflow the stack where
// params are expanded: -p lists hold plain values, as YAML defaults do.
TEST(ValidateE2ETest, NestedListParamIsUsageErrorNamingTheParam) {
  Project p("validate-nested-param");
  p.Write("pipeline.yaml", R"y(pipeline: lists
params: {l: [a, b]}
steps:
  echo:
    run: echo ${params.l} > ${pipeline.dir}/ran
    shell: true
)y");
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  auto r = p.Mlpipe({"run", "pipeline.yaml", "-p", "l=" + deep});
  EXPECT_EQ(r.exit_code, 2) << r.err.substr(0, 500);
  EXPECT_TRUE(Contains(r.err, "param 'l' is list: item 1 is a list")) << r.err.substr(0, 500);
  EXPECT_LT(r.err.size(), 1000u);
  EXPECT_FALSE(std::filesystem::exists(p.Path("ran")));
  auto flat = p.Mlpipe({"run", "pipeline.yaml", "-p", "l=x,2"});
  EXPECT_EQ(flat.exit_code, 0) << flat.err;
}

// 40,000 levels of YAML nesting took libyaml 12 s: refused at the place
// where the nesting passes 64 levels, before the file is parsed; a
// deployment file (read by yaml-cpp) the same.
TEST(ValidateE2ETest, DeeplyNestedYamlIsRefusedWithItsPosition) {
  Project p("validate-deep");
  p.Write("pipeline.yaml", "pipeline: deep\nparams:\n  x: " + std::string(40000, '[') +
                               std::string(40000, ']') + "\nsteps: {a: {run: 'true'}}\n");
  auto r = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err.substr(0, 500);
  // params: and x: open two levels; the 63rd bracket (column 68) passes 64.
  EXPECT_TRUE(Contains(r.out + r.err, "pipeline.yaml:3:68")) << r.out << r.err.substr(0, 500);
  EXPECT_TRUE(Contains(r.out + r.err, "more than 64 levels")) << r.out << r.err.substr(0, 500);
  std::string block = "deployment: d\n";
  for (int i = 0; i < 200; ++i) block += std::string(static_cast<size_t>(i), ' ') + "k:\n";
  p.Write("deploy.yaml", block);
  auto d = p.Mlpipe({"deployments", "apply", "deploy.yaml"});
  EXPECT_NE(d.exit_code, 0);
  EXPECT_TRUE(Contains(d.err, "deploy.yaml:66:")) << d.err;
  EXPECT_TRUE(Contains(d.err, "more than 64 levels")) << d.err;
}

// Steps and register: of a pipeline with a deploy: block (lines 2-18 after
// its pipeline: line); `touch` would leave a file if anything ran.
const char* kGatedSteps = R"y(steps:
  touch:
    run: touch ${pipeline.dir}/ran
  data:
    run: echo ${outputs.rows}
    outputs: {rows: dataset}
  train:
    run: echo ${inputs.d} ${outputs.model}
    inputs: {d: data.rows}
    outputs: {model: model}
  evaluate:
    uses: mlpipe/evaluate
    inputs: {model: train.model, test: data.rows}
register:
  - model: scorer
    from: train.model
)y";

// A deploy: block with three problems.
std::string BadDeploy() {
  return std::string("pipeline: deploy_bad\n") + kGatedSteps + R"y(deploy:
  model: scorre
  gates:
    - metric: evaluate.metrics.roc_acu
      min: 0.7
  rollout:
    steps: [5, 50, 25, 100]
)y";
}

TEST(ValidateE2ETest, DeployBlockErrorsStopValidateAndRun) {
  Project p("validate-deploy");
  p.Write("pipeline.yaml", BadDeploy());
  auto r = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(
      Contains(r.err, "pipeline.yaml:19:10: error: deploy model 'scorre' is not registered by this pipeline"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "did you mean 'scorer'?")) << r.err;
  EXPECT_TRUE(Contains(r.err, "pipeline.yaml:21:15: error: gate on unknown metric 'roc_acu'")) << r.err;
  EXPECT_TRUE(Contains(r.err, "did you mean 'roc_auc'?")) << r.err;
  EXPECT_TRUE(Contains(r.err, "pipeline.yaml:24:20: error: rollout steps must increase: 25 after 50"))
      << r.err;
  EXPECT_TRUE(Contains(r.err, "3 errors in pipeline.yaml")) << r.err;
  auto json = p.Mlpipe({"validate", "pipeline.yaml", "--json"});
  EXPECT_EQ(json.exit_code, 2);
  EXPECT_TRUE(Contains(json.out, "\"line\": 24")) << json.out;
  auto run = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_TRUE(Contains(run.err, "rollout steps must increase")) << run.err;
  EXPECT_FALSE(std::filesystem::exists(p.Path("ran")));
}

TEST(ValidateE2ETest, LendingClubDeployBlockIsValidAndDescribed) {
  Project p("validate-deploy-ok");
  p.CopyFromRepo("examples/lending_club", ".");
  auto r = p.Mlpipe({"validate", "pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(Contains(r.out, "deploys lending-club: 2 gates, canary 5/25/50/100 %")) << r.out;
}

// A pipeline deploying `scorer` to `deployment`, a challenger of `of` when
// given (its challenger_of: on line 2).
std::string Deploying(const std::string& name, const std::string& of, const std::string& deployment) {
  std::string text = "pipeline: " + name + "\n";
  if (!of.empty()) text += "challenger_of: " + of + "\n";
  text += kGatedSteps;
  text += "deploy:\n  model: scorer\n";
  text += "  deployment: " + deployment + "\n";
  text += R"y(  gates:
    - beats: champion
      metric: accuracy
  rollout:
    analysis:
      online_metric: {metric: accuracy}
)y";
  return text;
}

TEST(ValidateE2ETest, AChallengerIsCheckedAgainstThePipelineItChallenges) {
  Project p("validate-challenger");
  p.Write("a.yaml", Deploying("a", "", "live"));
  p.Write("b.yaml", Deploying("b", "a", "staging"));
  // Alone, b is valid: the pipeline it names is not given.
  auto alone = p.Mlpipe({"validate", "b.yaml"});
  EXPECT_EQ(alone.exit_code, 0) << alone.out << alone.err;
  EXPECT_TRUE(Contains(alone.out, "deploys scorer to staging: 1 gate, ab 50 %, challenger of a"))
      << alone.out;
  auto both = p.Mlpipe({"validate", "a.yaml", "b.yaml"});
  EXPECT_EQ(both.exit_code, 2) << both.out << both.err;
  EXPECT_TRUE(Contains(both.err,
                       "b.yaml:19:1: error: challenger 'b' deploys to deployment 'staging', but 'a' "
                       "(which it challenges) deploys to 'live'"))
      << both.err;
  EXPECT_TRUE(Contains(both.err, "hint: add deployment: live to the deploy: block")) << both.err;
  EXPECT_FALSE(Contains(both.out, "is valid")) << both.out;
  // The server refuses to start on them, and on a challenger of a pipeline
  // it does not run; nothing runs.
  auto server = p.Mlpipe({"server", "--pipelines", "a.yaml", "--pipelines", "b.yaml", "--port", "0"});
  EXPECT_EQ(server.exit_code, 2) << server.out << server.err;
  EXPECT_TRUE(Contains(server.err, "b.yaml:19:1: error: challenger 'b' deploys to deployment")) << server.err;
  p.Write("b.yaml", Deploying("b", "c", "live"));
  auto missing = p.Mlpipe({"server", "--pipelines", "a.yaml", "--pipelines", "b.yaml", "--port", "0"});
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
  EXPECT_TRUE(Contains(missing.err,
                       "b.yaml:2:16: error: challenger_of names pipeline 'c', which is not one of "
                       "the server's pipelines"))
      << missing.err;
  // Together and consistent: valid.
  p.Write("b.yaml", Deploying("b", "a", "live"));
  auto ok = p.Mlpipe({"validate", "a.yaml", "b.yaml"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_FALSE(std::filesystem::exists(p.Path("ran")));
}

}  // namespace
}  // namespace mlpipe::e2e
