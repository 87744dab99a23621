// A deploy: block's offline gates, evaluated for one run's candidate model
// (docs/deployments.md#gates). Thresholds read the run's own metrics;
// `beats: ALIAS` scores the model the alias points at on the run's test rows
// (beats_gate.h). Each gate gives a GateResult with everything its decision
// record stores: the inputs by digest, the thresholds, the statistics, the
// seed, the verdict and a one-line reason; explain.h recomputes one from
// those.
//
// With nothing to beat (the model has no such alias yet: the first model),
// a beats gate passes with that reason and the others decide alone.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/spec/deploy_spec.h"

namespace mlpipe::deploy {

// A model package: its registry version (0 = not registered yet), digest and
// a readable folder.
struct ModelAt {
  int64_t version = 0;
  std::string ref;
  std::string path;
};

// A dataset artifact: its digest and a readable path.
struct DatasetAt {
  std::string ref;
  std::string path;
};

// What the gates read, gathered by the caller (run_gate.h) from the run's
// record and the stores.
struct GateContext {
  std::map<std::string, double> metrics;   // "STEP.OUTPUT.KEY" -> value, for threshold gates
  ModelAt candidate;                       // the run's model output
  std::map<std::string, ModelAt> aliases;  // alias -> the version it points at (absent: none yet)
  std::map<std::string, DatasetAt> tests;  // evaluate step -> its `test` input in this run
};

struct GateResult {
  size_t index = 0;  // position in deploy.gates
  std::string kind;  // "threshold" | "beats"
  bool pass = false;
  std::string reason;  // "gate beats champion: delta roc_auc +0.0011 [-0.0020, +0.0043] at 95 % ..."
  nlohmann::json inputs = nlohmann::json::object();
  nlohmann::json thresholds = nlohmann::json::object();
  nlohmann::json statistics = nlohmann::json::object();
  std::optional<uint64_t> seed;
};

struct GateReport {
  bool pass = true;          // every gate passed
  bool first_model = false;  // no champion yet: the candidate becomes it without a rollout
  std::vector<GateResult> results;
  std::string Summary() const;  // "3 gates passed" / the failed gates' reasons joined
};

// One gate. Errors (a package that does not load, a missing test set) are
// returned: a gate that cannot be evaluated is not a pass.
StatusOr<GateResult> EvaluateGate(const spec::GateSpec& gate, size_t index, const GateContext& ctx);

// Every gate of `deploy`, in order.
StatusOr<GateReport> EvaluateGates(const spec::DeploySpec& deploy, const GateContext& ctx);

}  // namespace mlpipe::deploy
