#include "mlpipe/deploy/judge.h"

#include <gtest/gtest.h>

namespace mlpipe::deploy {
namespace {

const std::vector<double> kLe = {0.001, 0.005, 0.01, 0.05,
                                 0.1,   0.5,   1,    std::numeric_limits<double>::infinity()};

// `n` requests, `errors` of them failed, all answered within bucket `bucket`
// (an index into kLe) but a `slow_share` that took bucket + 2.
VariantCounters Arm(double n, double errors, size_t bucket = 1, double slow_share = 0) {
  VariantCounters c;
  c.requests = n;
  c.errors = errors;
  c.latency_le = kLe;
  c.latency_counts.assign(kLe.size(), 0);
  const double slow = n * slow_share;
  for (size_t i = 0; i < kLe.size(); ++i) {
    if (i >= bucket) c.latency_counts[i] += n - slow;
    if (i >= bucket + 2) c.latency_counts[i] += slow;
  }
  return c;
}

spec::RolloutSpec Policy() {
  spec::RolloutSpec p;
  p.steps = {5, 25, 50, 100};
  p.min_requests = 500;
  p.max_step_time_ns = 60'000'000'000;
  p.alpha = 0.05;
  p.analysis.error_rate_max_increase = 0.005;
  p.analysis.latency_p99_max_ratio = 1.25;
  return p;
}

StepLook Look(size_t step, VariantCounters cand, VariantCounters champ, int64_t elapsed_ns = 1'000'000'000) {
  StepLook l;
  l.policy = Policy();
  l.step_index = step;
  l.candidate = std::move(cand);
  l.champion = std::move(champ);
  l.elapsed_ns = elapsed_ns;
  return l;
}

TEST(JudgeTest, TooFewRequestsWaitsAndAfterMaxStepTimePauses) {
  Judgement j = JudgeStep(Look(1, Arm(100, 0), Arm(300, 0)));
  EXPECT_EQ(j.verdict, Verdict::kWait) << j.reason;
  EXPECT_NE(j.reason.find("100 of 500 candidate requests"), std::string::npos) << j.reason;
  j = JudgeStep(Look(1, Arm(100, 0), Arm(300, 0), 61'000'000'000));
  EXPECT_EQ(j.verdict, Verdict::kPause) << j.reason;
  EXPECT_NE(j.reason.find("paused"), std::string::npos);
  // No traffic at all: still a pause, never a pass or a failure.
  j = JudgeStep(Look(0, Arm(0, 0), Arm(0, 0), 61'000'000'000));
  EXPECT_EQ(j.verdict, Verdict::kPause) << j.reason;
}

TEST(JudgeTest, EnoughHealthyTrafficPasses) {
  Judgement j = JudgeStep(Look(1, Arm(600, 1), Arm(1800, 2)));
  EXPECT_EQ(j.verdict, Verdict::kPass) << j.reason;
  EXPECT_NE(j.reason.find("no harm"), std::string::npos);
}

TEST(JudgeTest, AnErrorRateIncreaseFailsBeforeMinRequests) {
  // 40 of 300 candidate requests failed against 2 of 900: harm already.
  Judgement j = JudgeStep(Look(1, Arm(300, 40), Arm(900, 2)));
  EXPECT_EQ(j.verdict, Verdict::kFail) << j.reason;
  EXPECT_NE(j.reason.find("error rate"), std::string::npos) << j.reason;
  EXPECT_TRUE(j.min_p.contains("error_rate"));
}

TEST(JudgeTest, ASlowCandidateFailsOnLatency) {
  // Every candidate request two buckets slower than the champion's p99.
  Judgement j = JudgeStep(Look(1, Arm(600, 0, 3), Arm(1800, 0, 1)));
  EXPECT_EQ(j.verdict, Verdict::kFail) << j.reason;
  EXPECT_NE(j.reason.find("p99 latency"), std::string::npos) << j.reason;
}

TEST(JudgeTest, SampleRatioMismatchHalts) {
  // 5 % configured, 20 % observed.
  Judgement j = JudgeStep(Look(0, Arm(1000, 0), Arm(4000, 0)));
  EXPECT_EQ(j.verdict, Verdict::kHalt) << j.reason;
  EXPECT_NE(j.reason.find("sample ratio mismatch"), std::string::npos);
  // The configured split itself is fine.
  j = JudgeStep(Look(0, Arm(520, 0), Arm(9480, 0)));
  EXPECT_EQ(j.verdict, Verdict::kPass) << j.reason;
  // Few requests, all on one arm of a 50/50 split: halted before the step
  // could pass on min_requests (here 80 of them).
  StepLook few = Look(2, Arm(92, 0), Arm(0, 0));
  few.policy.min_requests = 80;
  EXPECT_EQ(JudgeStep(few).verdict, Verdict::kHalt);
  // A small but fair split is not a mismatch.
  few = Look(2, Arm(7, 0), Arm(5, 0));
  EXPECT_NE(JudgeStep(few).verdict, Verdict::kHalt);
}

// Requests of one sticky user are not independent: the split is checked on
// randomization units when the serve process reports them.
TEST(JudgeTest, SampleRatioCountsUnitsWhenTheServeProcessReportsThem) {
  // 50/50: 40 users made 400 requests on the candidate, 40 made 100 on the
  // champion. Fair by users; a mismatch by requests.
  VariantCounters cand = Arm(400, 0), champ = Arm(100, 0);
  cand.units = 40;
  champ.units = 40;
  Judgement j = JudgeStep(Look(2, cand, champ));
  EXPECT_NE(j.verdict, Verdict::kHalt) << j.reason;
  ASSERT_FALSE(j.checks.empty());
  EXPECT_EQ(j.checks[0]["check"], "sample_ratio");
  EXPECT_EQ(j.checks[0]["counted"], "units");
  // Without units (an older serve process) requests are counted: a halt.
  j = JudgeStep(Look(2, Arm(400, 0), Arm(100, 0)));
  EXPECT_EQ(j.verdict, Verdict::kHalt) << j.reason;
  EXPECT_NE(j.reason.find("400 / champion 100 requests"), std::string::npos) << j.reason;
  // Balanced requests, 5 candidate users against 200: a halt that names users.
  cand = Arm(300, 0);
  champ = Arm(300, 0);
  cand.units = 5;
  champ.units = 200;
  j = JudgeStep(Look(2, cand, champ));
  EXPECT_EQ(j.verdict, Verdict::kHalt) << j.reason;
  EXPECT_NE(j.reason.find("candidate 5 / champion 200 users"), std::string::npos) << j.reason;
  // The always-valid p is kept as a running minimum, like the guardrails'.
  EXPECT_TRUE(j.min_p.contains("sample_ratio")) << j.min_p.dump();
}

TEST(JudgeTest, OnlineMetricFailsAWorseCandidateAndTheLastStepWaitsForLabels) {
  StepLook l = Look(1, Arm(600, 0), Arm(1800, 0));
  l.policy.analysis.online_metric = spec::AnalysisSpec::Online{"accuracy", 200, 0.95};
  l.candidate.feedback = 300;
  l.candidate.correct = 180;  // 60 %
  l.champion.feedback = 900;
  l.champion.correct = 810;  // 90 %
  Judgement j = JudgeStep(l);
  EXPECT_EQ(j.verdict, Verdict::kFail) << j.reason;
  EXPECT_NE(j.reason.find("live accuracy"), std::string::npos);

  // The last step with champion traffic (50 %) waits for labels in both arms;
  // at 100 % the champion has none to give, and none are waited for.
  StepLook half = Look(2, Arm(600, 0), Arm(600, 0));
  half.policy.analysis.online_metric = spec::AnalysisSpec::Online{"accuracy", 200, 0.95};
  half.candidate.feedback = 300;
  half.champion.feedback = 50;
  j = JudgeStep(half);
  EXPECT_EQ(j.verdict, Verdict::kWait) << j.reason;
  EXPECT_NE(j.reason.find("labels"), std::string::npos) << j.reason;
  StepLook full = Look(3, Arm(600, 0), Arm(0, 0));
  full.policy.analysis.online_metric = spec::AnalysisSpec::Online{"accuracy", 200, 0.95};
  full.candidate.feedback = 50;
  EXPECT_EQ(JudgeStep(full).verdict, Verdict::kPass);
}

TEST(JudgeTest, APredictionMixUnlikeTheChampionsFailsOnDrift) {
  StepLook l = Look(1, Arm(600, 0), Arm(1800, 0));
  l.policy.analysis.drift_psi_max = 0.25;
  l.candidate.classes = {{"yes", 550}, {"no", 50}};
  l.champion.classes = {{"yes", 180}, {"no", 1620}};
  Judgement j = JudgeStep(l);
  EXPECT_EQ(j.verdict, Verdict::kFail) << j.reason;
  EXPECT_NE(j.reason.find("PSI"), std::string::npos);
  l.candidate.classes = {{"yes", 61}, {"no", 539}};
  EXPECT_EQ(JudgeStep(l).verdict, Verdict::kPass);
}

TEST(JudgeTest, ALookRoundTripsThroughJsonToTheSameJudgement) {
  StepLook l = Look(1, Arm(300, 40), Arm(900, 2));
  Judgement a = JudgeStep(l);
  auto back = StepLook::FromJson(l.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  Judgement b = JudgeStep(*back);
  EXPECT_EQ(VerdictName(a.verdict), VerdictName(b.verdict));
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.checks, b.checks);
}

// A shadow look: the candidate predicted a copy of each of the champion's
// requests. Its model latency is two buckets above the champion's at p99.
StepLook ShadowLook(VariantCounters cand, VariantCounters champ, int64_t elapsed_ns = 1'000'000'000) {
  StepLook l = Look(0, std::move(cand), std::move(champ), elapsed_ns);
  l.shadow = true;
  l.step_index = 0;
  // The shadow arm is timed on its prediction call: so is the champion.
  for (VariantCounters* arm : {&l.candidate, &l.champion}) {
    arm->model_latency_le = arm->latency_le;
    arm->model_latency_counts = arm->latency_counts;
  }
  return l;
}

TEST(JudgeTest, AShadowWindowIsJudgedWithoutASampleRatioCheck) {
  // As many copies as champion requests: a 5 % step would halt on this
  // ratio; a shadow has no split, so it passes.
  Judgement j = JudgeStep(ShadowLook(Arm(600, 0), Arm(600, 0)));
  EXPECT_EQ(j.verdict, Verdict::kPass) << j.reason;
  EXPECT_NE(j.reason.find("shadow phase: no harm on 600 shadow / 600 champion requests"), std::string::npos)
      << j.reason;
  ASSERT_FALSE(j.checks.empty());
  EXPECT_EQ(j.checks[0]["check"], "sample_ratio");
  EXPECT_EQ(j.checks[0]["result"], "not_judged");
  EXPECT_EQ(j.thresholds["phase"], "shadow");
  EXPECT_FALSE(j.thresholds.contains("srm_p"));
  EXPECT_EQ(JudgeStep(Look(0, Arm(600, 0), Arm(600, 0))).verdict, Verdict::kHalt);
}

TEST(JudgeTest, AShadowIsFailedOnErrorsAndOnModelLatencyAndWaitsThenPausesWithoutTraffic) {
  Judgement j = JudgeStep(ShadowLook(Arm(300, 40), Arm(300, 0)));
  EXPECT_EQ(j.verdict, Verdict::kFail) << j.reason;
  EXPECT_NE(j.reason.find("error rate"), std::string::npos) << j.reason;
  // Slow prediction calls fail it, whatever the request latency says.
  StepLook slow = ShadowLook(Arm(600, 0, 3), Arm(600, 0, 1));
  slow.candidate.latency_counts = slow.champion.latency_counts;
  slow.candidate.latency_le = slow.champion.latency_le;
  j = JudgeStep(slow);
  EXPECT_EQ(j.verdict, Verdict::kFail) << j.reason;
  EXPECT_NE(j.reason.find("model p99 latency"), std::string::npos) << j.reason;
  // Request latency alone (no model latency recorded) is not what a shadow is judged on.
  StepLook untimed = ShadowLook(Arm(600, 0, 3), Arm(600, 0, 1));
  untimed.candidate.model_latency_counts.clear();
  EXPECT_EQ(JudgeStep(untimed).verdict, Verdict::kPass);
  j = JudgeStep(ShadowLook(Arm(100, 0), Arm(100, 0)));
  EXPECT_EQ(j.verdict, Verdict::kWait) << j.reason;
  EXPECT_NE(j.reason.find("100 of 500 shadow requests"), std::string::npos) << j.reason;
  EXPECT_EQ(JudgeStep(ShadowLook(Arm(0, 0), Arm(0, 0), 61'000'000'000)).verdict, Verdict::kPause);
}

TEST(JudgeTest, AShadowIsJudgedOnLabelsWhenTheyComeButDoesNotWaitForThem) {
  StepLook l = ShadowLook(Arm(600, 0), Arm(600, 0));
  l.policy.analysis.online_metric = spec::AnalysisSpec::Online{"accuracy", 200, 0.95};
  EXPECT_EQ(JudgeStep(l).verdict, Verdict::kPass);  // no labels yet: not waited for
  l.candidate.feedback = 400;
  l.candidate.correct = 240;  // 60 % on the same requests
  l.champion.feedback = 400;
  l.champion.correct = 360;  // 90 %
  Judgement j = JudgeStep(l);
  EXPECT_EQ(j.verdict, Verdict::kFail) << j.reason;
  EXPECT_NE(j.reason.find("live accuracy"), std::string::npos) << j.reason;
}

TEST(JudgeTest, AShadowLookRoundTripsThroughJson) {
  StepLook l = ShadowLook(Arm(300, 40), Arm(900, 2));
  auto back = StepLook::FromJson(l.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->shadow);
  Judgement a = JudgeStep(l), b = JudgeStep(*back);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.checks, b.checks);
  EXPECT_EQ(a.thresholds, b.thresholds);
}

TEST(VariantWindowTest, ReadsServesStatsWithTheInfBucketImplied) {
  // The shape `mlpipe serve` answers: finite bounds, one more cumulative count.
  auto stats = nlohmann::json::parse(R"({"started_ns": 5, "revision": 3, "variants": [
      {"name": "champion", "version": "2", "requests": 10, "errors": 1,
       "latency": {"le": [0.01, 0.1], "counts": [6, 9, 10], "sum": 0.4, "count": 10},
       "classes": {"yes": 4, "no": 6}, "feedback": 3, "correct": 2}]})");
  auto d = DeploymentCounters::FromJson(stats);
  ASSERT_TRUE(d.ok()) << d.status().message();
  const VariantCounters& c = d->variants["champion"];
  ASSERT_EQ(c.latency_le.size(), 3u);
  EXPECT_TRUE(std::isinf(c.latency_le[2]));
  EXPECT_EQ(c.latency_counts[2], 10);
  EXPECT_EQ(c.requests, 10);
  EXPECT_EQ(c.classes.at("no"), 6);
  EXPECT_EQ(d->live_versions["champion"], "2");
  // Round trip through the stored form, and a window.
  auto back = DeploymentCounters::FromJson(d->ToJson());
  ASSERT_TRUE(back.ok());
  VariantCounters w = back->variants["champion"].Minus(c);
  EXPECT_EQ(w.requests, 0);
  EXPECT_EQ(w.latency_counts.back(), 0);
}

TEST(VariantWindowTest, TheShadowIsReadBesideTheVariantsWithItsModelLatencyAndDroppedCopies) {
  auto stats = nlohmann::json::parse(R"({"started_ns": 5, "revision": 3, "variants": [
      {"name": "champion", "version": "2", "requests": 10,
       "model_latency": {"le": [0.01], "counts": [9, 10]}}],
      "shadow": {"name": "candidate", "version": "4", "shadow": true, "requests": 8, "errors": 1,
       "dropped": 2, "model_latency": {"le": [0.01], "counts": [5, 8]}}})");
  auto d = DeploymentCounters::FromJson(stats);
  ASSERT_TRUE(d.ok()) << d.status().message();
  ASSERT_EQ(d->variants.count("candidate"), 1u);
  const VariantCounters& s = d->variants["candidate"];
  EXPECT_EQ(s.requests, 8);
  EXPECT_EQ(s.dropped, 2);
  EXPECT_EQ(s.model_latency_counts, (std::vector<double>{5, 8}));
  EXPECT_EQ(d->live_versions["candidate"], "4");
  // A stored baseline keeps it, and a window subtracts it.
  auto back = DeploymentCounters::FromJson(d->ToJson());
  ASSERT_TRUE(back.ok());
  VariantCounters w = s.Minus(back->variants["candidate"]);
  EXPECT_EQ(w.requests, 0);
  EXPECT_EQ(w.dropped, 0);
  EXPECT_EQ(w.model_latency_counts, (std::vector<double>{0, 0}));
}

}  // namespace
}  // namespace mlpipe::deploy
