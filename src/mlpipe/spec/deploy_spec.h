// The pipeline's `deploy:` block as plain data (docs/pipeline-spec.md#deploy):
// the offline gates a run's model must pass, and the rollout policy that
// `mlpipe server` carries out for a model that passed them.
//
// The loader fills a DeploySpec and checks it as far as the file can tell
// (deploy_parse.cc): in a valid PipelineSpec every field holds a valid value
// and every default is filled in. The server and its gates interpret it; the
// spec only describes.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/spec/source_location.h"

namespace mlpipe::spec {

// One entry of deploy.gates: a check on the run's own evaluation.
struct GateSpec {
  enum class Kind : uint8_t {
    kThreshold,  // a recorded metric of the run against min and/or max
    kBeats,      // the candidate beats a registered alias on the same test rows
  };
  Kind kind = Kind::kThreshold;
  // kThreshold: the metric as STEP.OUTPUT.KEY, split (OUTPUT is an output of
  // type metrics of STEP; KEY the metric's name in it); min and/or max (at
  // least one; min <= max when both).
  std::string step, output, key;
  std::optional<double> min, max;
  // kBeats: the alias beaten ("champion"), the metric name (one the built-in
  // evaluate computes, evaluate_metrics.h), the margin it must win by, the
  // confidence of the paired bootstrap interval of the difference, its
  // resamples (>= 1000) and seed, and the built-in evaluate step (resolved:
  // never empty in a valid spec) whose `test` input gives the rows both
  // models are scored on. For a metric where lower is better (rmse, mae,
  // log_loss), "better" means lower.
  std::string beats, metric, eval_step;
  double by = 0, confidence = 0.95;
  int resamples = 1000;
  uint64_t seed = 1;
  SourceLocation loc;  // of the entry

  // kThreshold: "STEP.OUTPUT.KEY" ("" for kBeats).
  std::string Metric() const;
  // "evaluate.metrics.roc_auc >= 0.7", "evaluate.metrics.rmse <= 3",
  // "0.7 <= evaluate.metrics.roc_auc <= 0.99",
  // "beats champion on roc_auc by 0.002 at 95 %".
  std::string Describe() const;
  // {"kind": "threshold", "metric", "step", "output", "key", "min", "max"
  // (null when unset)} or {"kind": "beats", "beats", "metric", "by",
  // "confidence", "resamples", "seed", "step"}; both with "describe",
  // "file", "line", "column".
  nlohmann::json ToJson() const;
  static StatusOr<GateSpec> FromJson(const nlohmann::json& j);  // ToJson's inverse
};
const char* GateKindName(GateSpec::Kind kind);  // "threshold", "beats"

enum class RolloutStrategy : uint8_t {
  kCanary,            // the candidate's share goes through steps, each judged against the champion
  kBlueGreen,         // all traffic at once (steps: [100]), the champion kept loaded to switch back
  kShadowThenCanary,  // first a shadow phase (the candidate answers a copy of the traffic, never returned)
                      // judged like a step, then the canary steps
  kManual,            // the controller moves nothing: weights are set by hand (mlpipe deployments)
  kAb,                // an online A/B: one step at `split` % (steps: [split]) held until judged, then
                      // promoted to 100 % or rolled back; the default of a challenger (challenger_of:)
};
const char* RolloutStrategyName(RolloutStrategy strategy);  // "canary", "blue_green", ...

// Strategy ab's defaults: the challenger's share of the traffic, and the
// header that keeps a client on one arm.
inline constexpr double kAbDefaultSplit = 50;
inline constexpr const char* kAbStickyHeader = "X-Mlpipe-Key";

// What each step of a rollout is judged on: the candidate against the
// champion over the same window. An unset field is not judged.
struct AnalysisSpec {
  // error_rate: {max_increase}: the candidate's error rate may exceed the
  // champion's by at most this (absolute, >= 0). Default 0.01.
  std::optional<double> error_rate_max_increase = 0.01;
  // latency_p99: {max_ratio}: the candidate's p99 latency at most this times
  // the champion's (> 1). Default 1.5.
  std::optional<double> latency_p99_max_ratio = 1.5;
  // online_metric: from feedback labels (/v2/feedback); judged once each arm
  // has min_labels labelled predictions, the candidate not worse at
  // `confidence`.
  struct Online {
    std::string metric;  // accuracy (classifiers) | mae (regression)
    int64_t min_labels = 200;
    double confidence = 0.95;
  };
  std::optional<Online> online_metric;  // default: not judged
  std::optional<double>
      drift_psi_max;  // drift: {psi_max} (> 0) of the candidate's live traffic; default: not judged
};

struct RolloutSpec {
  RolloutStrategy strategy = RolloutStrategy::kCanary;
  // Percent of traffic to the candidate, step by step: strictly increasing,
  // each in (0, 100], the last 100. blue_green: [100]. ab: [split], the one
  // share in (0, 100) the A/B holds until it is judged (default 50).
  std::vector<double> steps = {5, 25, 50, 100};
  int64_t min_requests = 500;  // per arm and step before it is judged (>= 1)
  // A step that has not reached min_requests by then pauses (on_no_data);
  // > 0 and above analysis_interval_ns.
  int64_t max_step_time_ns = 30LL * 60 * 1000000000;
  int64_t analysis_interval_ns = 10LL * 1000000000;  // how often the controller judges (> 0)
  double alpha = 0.05;                               // level of the sequential tests, in (0, 0.5)
  AnalysisSpec analysis;
  enum class OnFailure : uint8_t {
    kRollback,  // weights back to the champion, the candidate gets alias `rejected`
    kHold,      // the weights stay where they are and an alert asks for a decision
  } on_failure = OnFailure::kRollback;
  // on_no_data: a step with too little traffic pauses (never promotes, never
  // fails) and resumes when traffic comes; "pause" is the only value.
  // sticky_header: assign a request to an arm by this header's value ("" =
  // no stickiness); an HTTP header name. ab: X-Mlpipe-Key unless given (a
  // request without the header is assigned at random).
  std::string sticky_header;
  SourceLocation loc;  // of the rollout: key (line 0: the defaults)

  // Every field: {"strategy", "steps", "min_requests", "max_step_time_ns",
  // "max_step_time" (text), "analysis_interval_ns", "analysis_interval",
  // "alpha", "analysis": {"error_rate": {"max_increase"} | null,
  // "latency_p99": {"max_ratio"} | null, "online_metric": {"metric",
  // "min_labels", "confidence"} | null, "drift": {"psi_max"} | null},
  // "on_failure", "on_no_data", "sticky_header", "file", "line", "column"}.
  // The controller stores this with a rollout.
  nlohmann::json ToJson() const;
  // ToJson's inverse (durations from the _ns fields); InvalidArgument naming
  // the field for a missing or mistyped one.
  static StatusOr<RolloutSpec> FromJson(const nlohmann::json& j);
};
const char* OnFailureName(RolloutSpec::OnFailure on_failure);  // "rollback", "hold"

struct DeploySpec {
  std::string model;       // a model this pipeline's register: block registers
  std::string deployment;  // the deployment rolled out to; defaults to model
  // on_reject: alias (true): a model failing a gate is registered with the
  // alias `rejected`; skip (false): it is not registered.
  bool register_rejected = true;
  std::vector<GateSpec> gates;  // in spec order
  RolloutSpec rollout;          // defaults when rollout: is absent
  SourceLocation loc;           // of the deploy: key

  // {"model", "deployment", "on_reject": "alias"|"skip", "gates": [...],
  // "rollout": {...}, "file", "line", "column"}.
  nlohmann::json ToJson() const;
  static StatusOr<DeploySpec> FromJson(const nlohmann::json& j);  // ToJson's inverse
};

}  // namespace mlpipe::spec
