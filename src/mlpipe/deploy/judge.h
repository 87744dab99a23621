// Judging one look at a rollout step: the candidate against the champion over
// the same window of live traffic (variant_window.h), by the rollout policy's
// analysis (spec/deploy_spec.h). A pure function of its inputs, so a
// recorded judgement can be recomputed (explain.h) and tested on counts.
//
// Checks, in order (docs/deployments.md#judgement):
//  1. Sample ratio: Pearson's chi-square of the two arms' request counts
//     against the configured split (stats/srm.h); p < 0.001 halts the
//     rollout: with traffic not split as configured, no comparison is fair.
//  2. Guardrails, one-sided harm tests that stay valid under repeated looks
//     (the mixture SPRT of stats/sequential.h, each at the policy's alpha):
//     error rate (candidate - champion > max_increase); latency (the share of
//     candidate requests slower than max_ratio x the champion's p99 exceeds
//     the champion's share above its own p99); online metric from feedback
//     labels (candidate accuracy below the champion's, at 1 - confidence,
//     once both arms have min_labels). Harm at any look fails the step.
//  3. Drift: the PSI of the candidate's predicted-class mix against the
//     champion's above psi_max fails the step (a threshold, not a test).
//  4. Otherwise the step passes once the candidate has min_requests (and, at
//     the last step that still sends the champion traffic, min_labels per arm
//     when an online metric is set); before
//     that it waits, and after max_step_time without them it pauses: a step
//     with too little traffic never passes and never fails.
// The always-valid p-value of a check is the running minimum over the looks of
// a step; the caller keeps it (`min_p`) and passes it back.
//
// A shadow look (strategy shadow_then_canary, before step 0) judges the
// candidate as the deployment's shadow: it got a copy of the champion's
// requests, so there is no split and no sample-ratio check; latency compares
// the prediction calls' time (model latency) of both arms, since a copy
// waits in the shadow queue off the request path; the online metric is
// judged when labels come but not waited for; min_requests counts the
// shadow's copies; too little traffic waits and pauses as for a step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "mlpipe/deploy/variant_window.h"
#include "mlpipe/spec/deploy_spec.h"

namespace mlpipe::deploy {

enum class Verdict { kWait, kPass, kFail, kPause, kHalt };
const char* VerdictName(Verdict v);  // "wait", "pass", "fail", "pause", "halt"

struct StepLook {
  spec::RolloutSpec policy;
  size_t step_index = 0;      // unused in a shadow look
  bool shadow = false;        // the shadow phase, before step 0 ("phase": "shadow")
  VariantCounters candidate;  // the window's counts (differences), per arm
  VariantCounters champion;
  int64_t elapsed_ns = 0;                           // since the step started
  nlohmann::json min_p = nlohmann::json::object();  // check -> running minimum p of this step's earlier looks

  // Everything above as JSON (a decision's inputs), and back.
  nlohmann::json ToJson() const;
  static StatusOr<StepLook> FromJson(const nlohmann::json& j);
};

struct Judgement {
  Verdict verdict = Verdict::kWait;
  std::string reason;                               // one line for people, with the numbers
  nlohmann::json checks = nlohmann::json::array();  // per check: name, statistics, result
  nlohmann::json min_p = nlohmann::json::object();  // updated running minima
  nlohmann::json thresholds = nlohmann::json::object();
};

Judgement JudgeStep(const StepLook& look);

}  // namespace mlpipe::deploy
