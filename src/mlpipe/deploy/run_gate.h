// The deploy: block's offline gates as a register: hook (engine/register_gate.h).
// For the register: entry of deploy.model, before the run's model is
// registered: the gates are evaluated on this run (gates.h) with what they
// read gathered from the run's record and the stores; then
//   pass, with a champion to beat -> registered with alias `candidate`, and a
//                                    rollout is queued (state infra_gate) for
//                                    `mlpipe server`'s rollout controller;
//   pass, no champion yet          -> registered with alias `champion` (the
//                                    first model is gated on thresholds only);
//   fail                           -> registered with alias `rejected`
//                                    (on_reject: alias) or not registered.
// Every gate, and the outcome, is a decision record (metadata/deployment_store.h)
// with its inputs by digest, thresholds, statistics, seed and reason.
// Strategy `manual` queues no rollout: `mlpipe deployments promote` does it.
// A model with the champion's content (a rerun where nothing changed) is the
// champion: no gate, no decision, no alias moves.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>

#include "mlpipe/deploy/gates.h"
#include "mlpipe/engine/register_gate.h"
#include "mlpipe/metadata/deployment_store.h"

namespace mlpipe::deploy {

class RunGate : public engine::RegisterGate {
 public:
  // Borrows the store (decisions, rollouts) and the stream lines go to.
  RunGate(metadata::DeploymentStore* deployments, std::ostream* out, bool json)
      : deployments_(deployments), out_(out), json_(json) {}

  StatusOr<std::optional<engine::GateVerdict>> Decide(metadata::MetadataStore& db,
                                                      store::ObjectStore& objects,
                                                      const spec::PipelineSpec& spec,
                                                      const spec::RegisterSpec& reg,
                                                      const std::string& model_ref, int64_t run_id) override;
  Status Registered(const spec::RegisterSpec& reg, int64_t version, int64_t run_id) override;

 private:
  metadata::DeploymentStore* deployments_;
  std::ostream* out_;
  bool json_;
  // Between Decide and Registered.
  std::optional<spec::DeploySpec> deploy_;
  GateReport report_;
  GateContext ctx_;
  bool same_as_champion_ = false;  // the run's model is the champion: no gates
};

// The values the threshold gates of `deploy` read in run `run_id`
// ("STEP.OUTPUT.KEY" -> value; a gate whose value is absent is left out).
StatusOr<std::map<std::string, double>> GatherGateMetrics(metadata::MetadataStore& db,
                                                          store::ObjectStore& objects,
                                                          const spec::DeploySpec& deploy, int64_t run_id);

// Gathers what the gates of `deploy` read for run `run_id`: the threshold
// gates' metrics, the aliases the beats gates name, the evaluate steps' test
// sets; `model_ref` is the candidate. Shared with explain.h.
StatusOr<GateContext> GatherGateContext(metadata::MetadataStore& db, store::ObjectStore& objects,
                                        const spec::DeploySpec& deploy, const std::string& model_ref,
                                        int64_t run_id);

}  // namespace mlpipe::deploy
