// The deploy: block and challenger_of:: what they parse into, the JSON form,
// and each error with its file:line:column, message and hint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/metadata/model_names.h"
#include "mlpipe/spec/loader.h"
#include "mlpipe/spec/test_util.h"

namespace mlpipe::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// data writes rows; train a model and its own metrics; evaluate is the
// built-in (its metrics output is the evaluate component's).
const char* kDeploySteps = R"(pipeline: p
steps:
  data:
    run: echo ${outputs.rows}
    outputs: {rows: dataset}
  train:
    run: echo ${inputs.d} ${outputs.model} ${outputs.stats}
    inputs: {d: data.rows}
    outputs: {model: model, stats: metrics}
  evaluate:
    uses: mlpipe/evaluate
    inputs: {model: train.model, test: data.rows}
register:
  - model: lending-club
    from: train.model
)";
// kDeploySteps is 15 lines: the block under test starts on line 16.

// The brief's example, every key written.
const char* kFullDeploy = R"(deploy:
  model: lending-club
  deployment: lc-live
  on_reject: skip
  gates:
    - metric: evaluate.metrics.roc_auc
      min: 0.70
    - beats: champion
      metric: roc_auc
      by: 0.002
      confidence: 0.9
      resamples: 2000
      seed: 7
      step: evaluate
    - metric: train.stats.valid.loss
      max: 0.4
  rollout:
    strategy: shadow_then_canary
    steps: [5, 25, 50, 100]
    min_requests: 300
    max_step_time: 20m
    analysis_interval: 5s
    alpha: 0.01
    analysis:
      error_rate: {max_increase: 0.005}
      latency_p99: {max_ratio: 1.25}
      online_metric: {metric: accuracy, min_labels: 100, confidence: 0.9}
      drift: {psi_max: 0.25}
    on_failure: hold
    on_no_data: pause
    sticky_header: X-User-Id
challenger_of: other-pipeline
)";

class DeploySpecTest : public ::testing::Test {
 protected:
  LoadResult Load(const std::string& block, const std::string& steps = kDeploySteps) {
    LoadOptions options;
    options.check_model_name = [](std::string_view n) { return metadata::ValidateModelName(n); };
    options.check_alias_name = [](std::string_view a) { return metadata::ValidateAliasName(a); };
    options.builtin_resolver = [](const std::string& name) -> std::optional<std::string> {
      if (name != "evaluate") return std::nullopt;
      return std::string(
          "builtin: evaluate\ninputs: {model: model, test: dataset}\n"
          "outputs: {metrics: metrics, blessing: blessing}\n");
    };
    return LoadPipelineString(steps + block, "p.yaml", dir_.path(), options);
  }
  std::vector<std::string> Errors(const std::string& block, const std::string& steps = kDeploySteps) {
    std::vector<std::string> out;
    for (const auto& d : Load(block, steps).diagnostics) out.push_back(d.ToString());
    return out;
  }
  // The one error of `block`.
  std::string Error(const std::string& block, const std::string& steps = kDeploySteps) {
    std::vector<std::string> all = Errors(block, steps);
    EXPECT_THAT(all, SizeIs(1)) << ::testing::PrintToString(all);
    return all.empty() ? "" : all[0];
  }
  testing::TempDir dir_;
};

TEST_F(DeploySpecTest, ReadsEveryKey) {
  auto r = Load(kFullDeploy);
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  ASSERT_TRUE(r.spec.deploy.has_value());
  const DeploySpec& d = *r.spec.deploy;
  EXPECT_EQ(d.model, "lending-club");
  EXPECT_EQ(d.deployment, "lc-live");
  EXPECT_FALSE(d.register_rejected);
  EXPECT_EQ(d.loc.line, 16);
  ASSERT_THAT(d.gates, SizeIs(3));
  const GateSpec& t = d.gates[0];
  EXPECT_EQ(t.kind, GateSpec::Kind::kThreshold);
  EXPECT_EQ(t.step, "evaluate");
  EXPECT_EQ(t.output, "metrics");
  EXPECT_EQ(t.key, "roc_auc");
  EXPECT_EQ(t.min, 0.7);
  EXPECT_FALSE(t.max.has_value());
  EXPECT_EQ(t.loc.line, 21);
  EXPECT_EQ(t.loc.column, 7);
  const GateSpec& b = d.gates[1];
  EXPECT_EQ(b.kind, GateSpec::Kind::kBeats);
  EXPECT_EQ(b.beats, "champion");
  EXPECT_EQ(b.metric, "roc_auc");
  EXPECT_EQ(b.by, 0.002);
  EXPECT_EQ(b.confidence, 0.9);
  EXPECT_EQ(b.resamples, 2000);
  EXPECT_EQ(b.seed, 7u);
  EXPECT_EQ(b.eval_step, "evaluate");
  // A key of a command step's metrics file may hold dots.
  EXPECT_EQ(d.gates[2].step, "train");
  EXPECT_EQ(d.gates[2].output, "stats");
  EXPECT_EQ(d.gates[2].key, "valid.loss");
  EXPECT_EQ(d.gates[2].max, 0.4);
  const RolloutSpec& ro = d.rollout;
  EXPECT_EQ(ro.strategy, RolloutStrategy::kShadowThenCanary);
  EXPECT_THAT(ro.steps, ElementsAre(5, 25, 50, 100));
  EXPECT_EQ(ro.min_requests, 300);
  EXPECT_EQ(ro.max_step_time_ns, 20LL * 60 * 1'000'000'000);
  EXPECT_EQ(ro.analysis_interval_ns, 5'000'000'000);
  EXPECT_EQ(ro.alpha, 0.01);
  EXPECT_EQ(ro.analysis.error_rate_max_increase, 0.005);
  EXPECT_EQ(ro.analysis.latency_p99_max_ratio, 1.25);
  ASSERT_TRUE(ro.analysis.online_metric.has_value());
  EXPECT_EQ(ro.analysis.online_metric->metric, "accuracy");
  EXPECT_EQ(ro.analysis.online_metric->min_labels, 100);
  EXPECT_EQ(ro.analysis.online_metric->confidence, 0.9);
  EXPECT_EQ(ro.analysis.drift_psi_max, 0.25);
  EXPECT_EQ(ro.on_failure, RolloutSpec::OnFailure::kHold);
  EXPECT_EQ(ro.sticky_header, "X-User-Id");
  EXPECT_EQ(ro.loc.line, 32);
  EXPECT_EQ(r.spec.challenger_of, "other-pipeline");
  EXPECT_EQ(r.spec.challenger_of_loc.line, 47);
}

TEST_F(DeploySpecTest, DefaultsForWhatIsLeftOut) {
  auto r = Load("deploy:\n  model: lending-club\n  gates:\n    - beats: champion\n      metric: f1\n");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  const DeploySpec& d = *r.spec.deploy;
  EXPECT_EQ(d.deployment, "lending-club");
  EXPECT_TRUE(d.register_rejected);
  const GateSpec& b = d.gates[0];
  EXPECT_EQ(b.by, 0);
  EXPECT_EQ(b.confidence, 0.95);
  EXPECT_EQ(b.resamples, 1000);
  EXPECT_EQ(b.seed, 1u);
  EXPECT_EQ(b.eval_step, "evaluate");  // the only built-in evaluate step
  const RolloutSpec& ro = d.rollout;
  EXPECT_EQ(ro.strategy, RolloutStrategy::kCanary);
  EXPECT_THAT(ro.steps, ElementsAre(5, 25, 50, 100));
  EXPECT_EQ(ro.min_requests, 500);
  EXPECT_EQ(ro.max_step_time_ns, 30LL * 60 * 1'000'000'000);
  EXPECT_EQ(ro.analysis_interval_ns, 10'000'000'000);
  EXPECT_EQ(ro.alpha, 0.05);
  EXPECT_EQ(ro.analysis.error_rate_max_increase, 0.01);
  EXPECT_EQ(ro.analysis.latency_p99_max_ratio, 1.5);
  EXPECT_FALSE(ro.analysis.online_metric.has_value());
  EXPECT_FALSE(ro.analysis.drift_psi_max.has_value());
  EXPECT_EQ(ro.on_failure, RolloutSpec::OnFailure::kRollback);
  EXPECT_EQ(ro.sticky_header, "");
  EXPECT_FALSE(Load("").spec.deploy.has_value());
}

TEST_F(DeploySpecTest, GuardrailsOffAndBlueGreen) {
  auto r = Load(R"(deploy:
  model: lending-club
  rollout:
    strategy: blue_green
    analysis: {error_rate: off, latency_p99: off, drift: {psi_max: 0.3}}
)");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  const RolloutSpec& ro = r.spec.deploy->rollout;
  EXPECT_EQ(ro.strategy, RolloutStrategy::kBlueGreen);
  EXPECT_THAT(ro.steps, ElementsAre(100));
  EXPECT_FALSE(ro.analysis.error_rate_max_increase.has_value());
  EXPECT_FALSE(ro.analysis.latency_p99_max_ratio.has_value());
  EXPECT_EQ(ro.analysis.drift_psi_max, 0.3);
  // Only some guardrails written: the others keep their defaults.
  auto some = Load("deploy:\n  model: lending-club\n  rollout: {analysis: {latency_p99: {max_ratio: 2}}}\n");
  ASSERT_TRUE(some.ok()) << some.ErrorText();
  EXPECT_EQ(some.spec.deploy->rollout.analysis.latency_p99_max_ratio, 2);
  EXPECT_EQ(some.spec.deploy->rollout.analysis.error_rate_max_increase, 0.01);
}

TEST_F(DeploySpecTest, DescribesGates) {
  auto r = Load(kFullDeploy);
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  const auto& g = r.spec.deploy->gates;
  EXPECT_EQ(g[0].Describe(), "evaluate.metrics.roc_auc >= 0.7");
  EXPECT_EQ(g[1].Describe(), "beats champion on roc_auc by 0.002 at 90 %");
  EXPECT_EQ(g[2].Describe(), "train.stats.valid.loss <= 0.4");
  GateSpec both = g[0];
  both.max = 0.99;
  EXPECT_EQ(both.Describe(), "0.7 <= evaluate.metrics.roc_auc <= 0.99");
}

TEST_F(DeploySpecTest, JsonRoundTrip) {
  auto r = Load(kFullDeploy);
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  const nlohmann::json j = r.spec.deploy->ToJson();
  EXPECT_EQ(j["on_reject"], "skip");
  EXPECT_EQ(j["gates"][1]["describe"], "beats champion on roc_auc by 0.002 at 90 %");
  EXPECT_EQ(j["gates"][0]["max"], nullptr);
  EXPECT_EQ(j["rollout"]["max_step_time"], "20m");
  EXPECT_EQ(j["rollout"]["max_step_time_ns"], 1'200'000'000'000);
  EXPECT_EQ(j["rollout"]["analysis_interval"], "5s");
  EXPECT_EQ(j["rollout"]["strategy"], "shadow_then_canary");
  EXPECT_EQ(j["rollout"]["analysis"]["online_metric"]["min_labels"], 100);
  EXPECT_EQ(j["rollout"]["line"], 32);
  auto back = DeploySpec::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->ToJson(), j);
  EXPECT_EQ(back->rollout.on_failure, RolloutSpec::OnFailure::kHold);
  EXPECT_EQ(back->gates[1].seed, 7u);
  EXPECT_EQ(back->loc.file.str(), "p.yaml");
  // Defaults and unset guardrails survive too (nulls).
  auto off = Load("deploy:\n  model: lending-club\n  rollout: {analysis: {error_rate: off}}\n");
  ASSERT_TRUE(off.ok()) << off.ErrorText();
  const nlohmann::json rj = off.spec.deploy->rollout.ToJson();
  EXPECT_EQ(rj["analysis"]["error_rate"], nullptr);
  auto rback = RolloutSpec::FromJson(rj);
  ASSERT_TRUE(rback.ok()) << rback.status().message();
  EXPECT_FALSE(rback->analysis.error_rate_max_increase.has_value());
  EXPECT_EQ(rback->ToJson(), rj);
}

TEST_F(DeploySpecTest, FromJsonNamesTheBadField) {
  auto r = Load(kFullDeploy);
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  nlohmann::json j = r.spec.deploy->rollout.ToJson();
  j.erase("min_requests");
  EXPECT_THAT(RolloutSpec::FromJson(j).status().message(), HasSubstr("rollout has no field 'min_requests'"));
  j = r.spec.deploy->rollout.ToJson();
  j["strategy"] = "yolo";
  EXPECT_THAT(RolloutSpec::FromJson(j).status().message(), HasSubstr("'yolo' is not a strategy"));
  j = r.spec.deploy->rollout.ToJson();
  j["analysis"]["latency_p99"] = {{"max_ratio", "big"}};
  EXPECT_THAT(RolloutSpec::FromJson(j).status().message(),
              HasSubstr("rollout.analysis.latency_p99.max_ratio has the wrong type"));
  nlohmann::json d = r.spec.deploy->ToJson();
  d["gates"][0]["kind"] = "vibes";
  EXPECT_THAT(DeploySpec::FromJson(d).status().message(), HasSubstr("gate.kind must be threshold or beats"));
  EXPECT_FALSE(DeploySpec::FromJson(nlohmann::json::array()).ok());
}

// ---- deploy: itself ----

TEST_F(DeploySpecTest, ModelMustBeRegisteredByThePipeline) {
  std::string e = Error("deploy:\n  model: lending-clb\n");
  EXPECT_THAT(
      e, HasSubstr("p.yaml:17:10: error: deploy model 'lending-clb' is not registered by this pipeline"));
  EXPECT_THAT(e, HasSubstr("did you mean 'lending-club'?"));
  e = Error("deploy:\n  model: churn\n");
  EXPECT_THAT(
      e, HasSubstr("this pipeline registers lending-club; deploy one of them, or add a register: entry"));
  std::string no_register = kDeploySteps;
  no_register.resize(no_register.find("register:"));
  e = Error("deploy:\n  model: churn\n", no_register);  // 12 lines before: deploy: on 13
  EXPECT_THAT(e, HasSubstr("p.yaml:14:10: error: deploy model 'churn' is not registered"));
  EXPECT_THAT(e, HasSubstr("add a register: entry (model: churn"));
}

TEST_F(DeploySpecTest, DeployKeysAndValues) {
  EXPECT_THAT(Error("deploy:\n  gates: []\n"), HasSubstr("p.yaml:16:1: error: deploy: has no model:"));
  std::string e = Error("deploy:\n  model: lending-club\n  rolout: {}\n");
  EXPECT_THAT(e, HasSubstr("p.yaml:18:3: error: unknown key 'rolout' in deploy:"));
  EXPECT_THAT(e, HasSubstr("did you mean 'rollout'?"));
  e = Error("deploy:\n  model: lending-club\n  on_reject: alis\n");
  EXPECT_THAT(
      e, HasSubstr("p.yaml:18:14: error: on_reject of deploy: must be one of alias or skip, got 'alis'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'alias'?"));
  EXPECT_THAT(Error("deploy:\n  model: lending-club\n  deployment: a/b\n"),
              HasSubstr("p.yaml:18:15: error: bad deployment name 'a/b' in deploy:"));
  EXPECT_THAT(Error("deploy: [lending-club]\n"),
              HasSubstr("p.yaml:16:9: error: deploy: must be a map, got a list"));
  EXPECT_THAT(Error("deploy:\n  model: lending-club\n  gates: {metric: x}\n"),
              HasSubstr("p.yaml:18:10: error: gates of deploy: must be a list, got a map"));
}

// ---- gates ----

std::string GateBlock(const std::string& gate) { return "deploy:\n  model: lending-club\n  gates:\n" + gate; }
// A gate's first line is line 19, its second 20.

TEST_F(DeploySpecTest, ThresholdGateMetricReference) {
  std::string e = Error(GateBlock("    - metric: evalute.metrics.roc_auc\n      min: 0.7\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:19:15: error: metric of gate 1 refers to unknown step 'evalute'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'evaluate'?"));
  e = Error(GateBlock("    - metric: evaluate.metric.roc_auc\n      min: 0.7\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:19:15: error: metric of gate 1: step 'evaluate' has no output 'metric'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'evaluate.metrics'?"));
  e = Error(GateBlock("    - metric: evaluate.blessing.roc_auc\n      min: 0.7\n"));
  EXPECT_THAT(e,
              HasSubstr("metric of gate 1 must be in an output of type metrics, but evaluate.blessing is of "
                        "type blessing"));
  EXPECT_THAT(e, HasSubstr("did you mean evaluate.metrics?"));
  e = Error(GateBlock("    - metric: evaluate.metrics.roc_acu\n      min: 0.7\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:19:15: error: gate on unknown metric 'roc_acu': step 'evaluate' "
                           "(mlpipe/evaluate) computes accuracy, precision"));
  EXPECT_THAT(e, HasSubstr("hint: did you mean 'roc_auc'?"));
  e = Error(GateBlock("    - metric: roc_auc\n      min: 0.7\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:19:15: error: metric of gate 1 is 'roc_auc', not STEP.OUTPUT.KEY"));
  EXPECT_THAT(e, HasSubstr("write beats: champion with metric: roc_auc"));
}

TEST_F(DeploySpecTest, ThresholdGateBounds) {
  EXPECT_THAT(Error(GateBlock("    - metric: evaluate.metrics.f1\n")),
              HasSubstr("p.yaml:19:7: error: gate 1 has neither min: nor max:"));
  EXPECT_THAT(Error(GateBlock("    - metric: evaluate.metrics.f1\n      min: 0.9\n      max: 0.5\n")),
              HasSubstr("p.yaml:20:12: error: min of gate 1 (0.9) is above its max (0.5): no value passes"));
  EXPECT_THAT(Error(GateBlock("    - metric: evaluate.metrics.f1\n      min: high\n")),
              HasSubstr("p.yaml:20:12: error: min of gate 1 must be a number, got 'high'"));
  EXPECT_THAT(Error(GateBlock("    - min: 0.5\n")), HasSubstr("p.yaml:19:7: error: gate 1 has no metric:"));
  std::string e = Error(GateBlock("    - metric: evaluate.metrics.f1\n      min: 0.5\n      by: 0.1\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:21:7: error: 'by' in gate 1 is a key of a beats: gate"));
  e = Error(GateBlock("    - metric: evaluate.metrics.f1\n      min: 0.5\n      maxx: 1\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:21:7: error: unknown key 'maxx' in gate 1"));
  EXPECT_THAT(e, HasSubstr("did you mean 'max'?"));
  EXPECT_THAT(Error(GateBlock("    - evaluate.metrics.f1\n")),
              HasSubstr("p.yaml:19:7: error: gate 1 of deploy: must be a map, got 'evaluate.metrics.f1'"));
}

TEST_F(DeploySpecTest, BeatsGateChecks) {
  const std::string beats = "    - beats: champion\n      metric: roc_auc\n";  // lines 19, 20
  std::string e = Error(GateBlock("    - beats: champion\n      metric: roc_acu\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:20:15: error: gate on unknown metric 'roc_acu'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'roc_auc'?"));
  EXPECT_THAT(Error(GateBlock(beats + "      by: -0.1\n")),
              HasSubstr("p.yaml:21:11: error: by of gate 1 must be at least 0, got -0.1"));
  EXPECT_THAT(
      Error(GateBlock(beats + "      confidence: 1\n")),
      HasSubstr("p.yaml:21:19: error: confidence of gate 1 must be between 0.5 and 1 (exclusive), got 1"));
  EXPECT_THAT(Error(GateBlock(beats + "      confidence: 0.4\n")),
              HasSubstr("confidence of gate 1 must be between"));
  EXPECT_THAT(
      Error(GateBlock(beats + "      resamples: 999\n")),
      HasSubstr("p.yaml:21:18: error: resamples of gate 1 must be between 1000 and 1000000, got 999"));
  EXPECT_THAT(Error(GateBlock(beats + "      seed: -1\n")),
              HasSubstr("p.yaml:21:13: error: seed of gate 1 must be 0"));
  EXPECT_THAT(Error(GateBlock("    - beats: champion\n")),
              HasSubstr("p.yaml:19:7: error: gate 1 has no metric:"));
  EXPECT_THAT(Error(GateBlock("    - beats: latest\n      metric: f1\n")),
              HasSubstr("p.yaml:19:14: error: beats of gate 1:"));
  e = Error(GateBlock(beats + "      min: 0.7\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:21:7: error: 'min' in gate 1 is a key of a threshold gate"));
}

TEST_F(DeploySpecTest, BeatsGateEvaluateStep) {
  const std::string beats = "    - beats: champion\n      metric: roc_auc\n";
  std::string e = Error(GateBlock(beats + "      step: train\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:21:13: error: step of gate 1 must be a step using mlpipe/evaluate, but "
                           "'train' is not a built-in step"));
  EXPECT_THAT(e, HasSubstr("did you mean evaluate?"));
  e = Error(GateBlock(beats + "      step: evaluat\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:21:13: error: step of gate 1 names unknown step 'evaluat'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'evaluate'?"));
  // Two evaluate steps: step: is required.
  std::string two = kDeploySteps;
  two.insert(two.find("register:"),
             "  evaluate2:\n    uses: mlpipe/evaluate\n    inputs: {model: train.model, test: data.rows}\n");
  e = Error(GateBlock(beats), two);  // three lines more: the gate is on line 22
  EXPECT_THAT(e,
              HasSubstr("p.yaml:22:7: error: gate 1 does not say which evaluate step's test rows to use: the "
                        "pipeline has evaluate, evaluate2"));
  EXPECT_THAT(e, HasSubstr("add step: evaluate"));
  auto r = Load(GateBlock(beats + "      step: evaluate2\n"), two);
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_EQ(r.spec.deploy->gates[0].eval_step, "evaluate2");
  // No evaluate step at all.
  std::string none = kDeploySteps;
  none.erase(none.find("  evaluate:"), none.find("register:") - none.find("  evaluate:"));
  e = Error(GateBlock(beats), none);  // three lines fewer: the gate is on line 16
  EXPECT_THAT(e, HasSubstr("p.yaml:16:7: error: gate 1 compares on an evaluate step's test rows, but the "
                           "pipeline has no step using mlpipe/evaluate"));
}

// ---- rollout ----

std::string RolloutBlock(const std::string& body) {
  return "deploy:\n  model: lending-club\n  rollout:\n" + body;
}
// The rollout's first key is on line 19.

TEST_F(DeploySpecTest, RolloutSteps) {
  std::string e = Error(RolloutBlock("    steps: [5, 50, 25, 100]\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:19:20: error: rollout steps must increase: 25 after 50"));
  EXPECT_THAT(Error(RolloutBlock("    steps: [0, 100]\n")),
              HasSubstr("p.yaml:19:13: error: rollout step 0 is outside (0, 100]"));
  EXPECT_THAT(Error(RolloutBlock("    steps: [50, 150]\n")),
              HasSubstr("p.yaml:19:17: error: rollout step 150 is outside (0, 100]"));
  EXPECT_THAT(Error(RolloutBlock("    steps: [5, 50]\n")),
              HasSubstr("p.yaml:19:16: error: the last rollout step is 50, not 100"));
  EXPECT_THAT(Error(RolloutBlock("    steps: []\n")),
              HasSubstr("p.yaml:19:12: error: rollout steps are empty"));
  EXPECT_THAT(Error(RolloutBlock("    steps: [5, half, 100]\n")),
              HasSubstr("p.yaml:19:16: error: a rollout step must be a number, got 'half'"));
  EXPECT_THAT(
      Error(RolloutBlock("    strategy: blue_green\n    steps: [50, 100]\n")),
      HasSubstr("p.yaml:20:12: error: steps of rollout: strategy blue_green switches all traffic at once"));
  EXPECT_THAT(Error(RolloutBlock("    strategy: manual\n    steps: [50, 100]\n")),
              HasSubstr("p.yaml:20:5: error: steps of rollout: strategy manual moves no traffic by itself"));
  // Fractional percents are fine.
  auto r = Load(RolloutBlock("    steps: [0.5, 2.5, 100]\n"));
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_THAT(r.spec.deploy->rollout.steps, ElementsAre(0.5, 2.5, 100));
}

TEST_F(DeploySpecTest, RolloutScalars) {
  std::string e = Error(RolloutBlock("    strategy: canery\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:19:15: error: strategy of rollout must be one of canary, blue_green, "
                           "shadow_then_canary, manual or ab, got 'canery'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'canary'?"));
  EXPECT_THAT(Error(RolloutBlock("    min_requests: 0\n")),
              HasSubstr("p.yaml:19:19: error: min_requests of rollout must be at least 1, got 0"));
  EXPECT_THAT(Error(RolloutBlock("    max_step_time: 30 minutes\n")),
              HasSubstr("p.yaml:19:20: error: max_step_time of rollout: bad duration '30 minutes'"));
  EXPECT_THAT(Error(RolloutBlock("    analysis_interval: 0s\n")),
              HasSubstr("p.yaml:19:24: error: analysis_interval of rollout: must be more than 0"));
  EXPECT_THAT(Error(RolloutBlock("    max_step_time: 5m\n    analysis_interval: 5m\n")),
              HasSubstr("p.yaml:20:24: error: analysis_interval of rollout (5m) must be shorter than "
                        "max_step_time (5m)"));
  EXPECT_THAT(Error(RolloutBlock("    max_step_time: 5s\n")),
              HasSubstr("p.yaml:19:20: error: analysis_interval of rollout (10s) must be shorter than"));
  EXPECT_THAT(
      Error(RolloutBlock("    alpha: 0.5\n")),
      HasSubstr("p.yaml:19:12: error: alpha of rollout must be between 0 and 0.5 (exclusive), got 0.5"));
  e = Error(RolloutBlock("    on_failure: rolback\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:19:17: error: on_failure of rollout must be one of rollback or hold"));
  EXPECT_THAT(e, HasSubstr("did you mean 'rollback'?"));
  e = Error(RolloutBlock("    on_no_data: pase\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:19:17: error: on_no_data of rollout must be pause, got 'pase'"));
  EXPECT_THAT(e, HasSubstr("did you mean 'pause'?"));
  EXPECT_THAT(
      Error(RolloutBlock("    sticky_header: \"X User\"\n")),
      HasSubstr("p.yaml:19:20: error: sticky_header of rollout is 'X User', not an HTTP header name"));
  e = Error(RolloutBlock("    min_request: 5\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:19:5: error: unknown key 'min_request' in rollout"));
  EXPECT_THAT(e, HasSubstr("did you mean 'min_requests'?"));
}

TEST_F(DeploySpecTest, RolloutAnalysis) {
  const std::string a = "    analysis:\n";  // line 19; its keys on line 20
  EXPECT_THAT(
      Error(RolloutBlock(a + "      error_rate: {max_increase: -0.1}\n")),
      HasSubstr("p.yaml:20:34: error: max_increase of error_rate of rollout analysis must be at least 0 "
                "and below 1, got -0.1"));
  EXPECT_THAT(
      Error(RolloutBlock(a + "      latency_p99: {max_ratio: 1}\n")),
      HasSubstr("p.yaml:20:32: error: max_ratio of latency_p99 of rollout analysis must be above 1, got 1"));
  EXPECT_THAT(Error(RolloutBlock(a + "      drift: {psi_max: 0}\n")),
              HasSubstr("p.yaml:20:24: error: psi_max of drift of rollout analysis must be above 0, got 0"));
  std::string e = Error(RolloutBlock(a + "      online_metric: {metric: auc}\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:20:31: error: metric of online_metric of rollout analysis must be one of "
                           "accuracy or mae, got 'auc'"));
  EXPECT_THAT(Error(RolloutBlock(a + "      online_metric: {min_labels: 10}\n")),
              HasSubstr("p.yaml:20:22: error: online_metric of rollout analysis has no metric:"));
  EXPECT_THAT(Error(RolloutBlock(a + "      online_metric: {metric: mae, min_labels: 0}\n")),
              HasSubstr("min_labels of online_metric of rollout analysis must be at least 1, got 0"));
  EXPECT_THAT(Error(RolloutBlock(a + "      online_metric: {metric: mae, confidence: 2}\n")),
              HasSubstr("confidence of online_metric of rollout analysis must be between 0.5 and 1"));
  e = Error(RolloutBlock(a + "      latency_p9: {max_ratio: 2}\n"));
  EXPECT_THAT(e, HasSubstr("p.yaml:20:7: error: unknown key 'latency_p9' in rollout analysis"));
  EXPECT_THAT(e, HasSubstr("did you mean 'latency_p99'?"));
  EXPECT_THAT(
      Errors(RolloutBlock(a + "      error_rate: {max_inc: 0.1}\n")),
      ElementsAre(HasSubstr("p.yaml:20:19: error: error_rate of rollout analysis has no max_increase:"),
                  HasSubstr("p.yaml:20:20: error: unknown key 'max_inc' in error_rate of rollout analysis")));
  EXPECT_THAT(
      Error(RolloutBlock(a + "      error_rate: 0.1\n")),
      HasSubstr("p.yaml:20:19: error: error_rate of rollout analysis must be a map or off, got the number "
                "0.1"));
}

TEST_F(DeploySpecTest, EveryProblemAtOnce) {
  auto errors = Errors(R"(deploy:
  model: lending-club
  gates:
    - metric: evaluate.metrics.roc_acu
      min: 0.7
    - beats: champion
      metric: roc_auc
      resamples: 10
  rollout:
    steps: [50, 25, 100]
    strategy: canery
challenger_of: p
)");
  ASSERT_THAT(errors, SizeIs(5)) << ::testing::PrintToString(errors);
  EXPECT_THAT(errors[0], HasSubstr("p.yaml:19:15: error: gate on unknown metric 'roc_acu'"));
  EXPECT_THAT(errors[1], HasSubstr("p.yaml:23:18: error: resamples of gate 2"));
  EXPECT_THAT(errors[2], HasSubstr("p.yaml:25:17: error: rollout steps must increase: 25 after 50"));
  EXPECT_THAT(errors[3], HasSubstr("p.yaml:26:15: error: strategy of rollout must be one of"));
  EXPECT_THAT(errors[4], HasSubstr("p.yaml:27:16: error: pipeline 'p' cannot be a challenger of itself"));
}

// A challenger's deploy: block, from line 17 (challenger_of: is line 16).
const char* kChallenger = R"(challenger_of: lending_club
deploy:
  model: lending-club
  gates:
    - beats: champion
      metric: accuracy
)";
const char* kOnline = R"(  rollout:
    analysis:
      online_metric: {metric: accuracy, min_labels: 20}
)";

TEST_F(DeploySpecTest, ChallengerOf) {
  EXPECT_THAT(Error("challenger_of: p\n"),
              HasSubstr("p.yaml:16:16: error: pipeline 'p' cannot be a challenger"));
  EXPECT_THAT(Error("challenger_of: a/b.yaml\n"),
              HasSubstr("p.yaml:16:16: error: challenger_of names 'a/b.yaml', not a pipeline name"));
  auto r = Load(std::string(kChallenger) + kOnline);
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_EQ(r.spec.challenger_of, "lending_club");
  EXPECT_EQ(r.spec.challenger_of_loc.line, 16);
  EXPECT_THAT(Load("").spec.challenger_of, IsEmpty());
}

TEST_F(DeploySpecTest, AChallengerNeedsADeployBlockWithABeatsGate) {
  const std::string none = Error("challenger_of: lending_club\n");
  EXPECT_THAT(none,
              HasSubstr("p.yaml:16:16: error: pipeline 'p' is a challenger of 'lending_club' but has no "
                        "deploy: block"));
  EXPECT_THAT(none, HasSubstr("hint: add deploy: naming the deployment of 'lending_club'"));
  const std::string no_beats = Error(R"(challenger_of: lending_club
deploy:
  model: lending-club
  gates:
    - metric: evaluate.metrics.accuracy
      min: 0.5
  rollout:
    analysis:
      online_metric: {metric: accuracy}
)");
  EXPECT_THAT(no_beats,
              HasSubstr("p.yaml:17:1: error: pipeline 'p' is a challenger of 'lending_club', but its "
                        "deploy gates have no beats: gate"));
  EXPECT_THAT(no_beats, HasSubstr("hint: a challenger must win offline before its online A/B: add to gates:\n"
                                  "    - beats: champion"));
}

TEST_F(DeploySpecTest, AChallengersRolloutIsAnAbByDefault) {
  auto r = Load(std::string(kChallenger) + kOnline);
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  const RolloutSpec& ro = r.spec.deploy->rollout;
  EXPECT_EQ(ro.strategy, RolloutStrategy::kAb);
  EXPECT_THAT(ro.steps, ElementsAre(50));
  EXPECT_EQ(ro.sticky_header, "X-Mlpipe-Key");
  // Another strategy, named, is that strategy with its own defaults.
  auto canary = Load(std::string(kChallenger) + "  rollout:\n    strategy: canary\n");
  ASSERT_TRUE(canary.ok()) << canary.ErrorText();
  EXPECT_EQ(canary.spec.deploy->rollout.strategy, RolloutStrategy::kCanary);
  EXPECT_THAT(canary.spec.deploy->rollout.steps, ElementsAre(5, 25, 50, 100));
  EXPECT_THAT(canary.spec.deploy->rollout.sticky_header, IsEmpty());
  // ab for any pipeline when asked for, with its split and header.
  auto ab = Load(R"(deploy:
  model: lending-club
  rollout:
    strategy: ab
    split: 20
    sticky_header: X-User-Id
    analysis:
      online_metric: {metric: accuracy}
)");
  ASSERT_TRUE(ab.ok()) << ab.ErrorText();
  EXPECT_THAT(ab.spec.deploy->rollout.steps, ElementsAre(20));
  EXPECT_EQ(ab.spec.deploy->rollout.sticky_header, "X-User-Id");
  auto back = RolloutSpec::FromJson(ab.spec.deploy->rollout.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->strategy, RolloutStrategy::kAb);
  EXPECT_THAT(back->steps, ElementsAre(20));
}

TEST_F(DeploySpecTest, AnAbIsJudgedOnAnOnlineMetricAtOneSplit) {
  const std::string missing = Error(kChallenger);
  EXPECT_THAT(missing,
              HasSubstr("p.yaml:17:1: error: the rollout of a challenger is an online A/B (strategy ab, "
                        "the default with challenger_of), judged on an online metric"));
  EXPECT_THAT(missing, HasSubstr("online_metric: {metric: accuracy, min_labels: 200}"));
  EXPECT_THAT(Error(std::string(kChallenger) + "  rollout:\n    min_requests: 10\n"),
              HasSubstr("p.yaml:22:3: error: the rollout of a challenger is an online A/B"));
  const std::string online = "    analysis: {online_metric: {metric: accuracy}}\n";
  EXPECT_THAT(Error(std::string(kChallenger) + "  rollout:\n    split: 100\n" + online),
              HasSubstr("p.yaml:23:12: error: split of rollout must be between 0 and 100 (exclusive)"));
  EXPECT_THAT(Error(std::string(kChallenger) + "  rollout:\n    steps: [50, 100]\n" + online),
              HasSubstr("p.yaml:23:5: error: steps of rollout: strategy ab holds one share until the A/B is "
                        "judged"));
  EXPECT_THAT(Error(std::string(kChallenger) + "  rollout:\n    strategy: canary\n    split: 30\n"),
              HasSubstr("p.yaml:24:5: error: split of rollout is the share of an A/B, but the strategy is "
                        "canary"));
}

}  // namespace
}  // namespace mlpipe::spec
