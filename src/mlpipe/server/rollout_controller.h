// RolloutController: carries out queued rollouts (deploy/run_gate.h queues
// one when a candidate passes its offline gates) in `mlpipe server`. Per
// rollout, a state machine kept in the rollouts table, so a server killed at
// any point resumes from the recorded step:
//
//   infra_gate -> the candidate arm is added at weight 0; once the serve
//                 process has it loaded, recent logged requests are replayed
//                 to it: every answer must be 200 within the latency budget;
//   shadow     -> (shadow_then_canary; state running or paused, step index
//                 -1) the candidate is the deployment's shadow with the
//                 champion at 100 %: it predicts a copy of each request and
//                 answers none; each look judges it as a step is judged, with
//                 no sample-ratio check; a pass starts step 0 in the same
//                 revision that removes the shadow;
//   running    -> each step sets the candidate's share, takes the serve
//                 counters as the baseline, and every analysis interval judges
//                 the window since (deploy/judge.h): wait, pass (next step, or
//                 promoting after the last), fail (rollback or hold), pause (too
//                 little traffic: never passes or fails; resumes when traffic
//                 comes), halt (sample ratio mismatch);
//   promoting  -> alias champion moves to the candidate (the old champion gets
//                 `previous`); once the serve process serves it on the champion
//                 arm, the candidate arm is removed: promoted;
//   rolled_back / held / halted / cancelled (a newer rollout of the same
//                 deployment supersedes an active one).
// Strategy ab (a challenger's model) is one step at its split, then promotion
// or rollback; an A/B not started while a rollout of another strategy of the
// same deployment is in flight is `waiting` (rollout_order.h) until that one
// ends, then begins at infra_gate against the champion that resulted.
// Every step, judgement and outcome is a decision record with its numbers;
// every weight change is a new revision of the deployment followed by a
// reload request to the serve process, so it is live within milliseconds.
//
// Not thread-safe: the server's loop thread calls Tick.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/deploy/variant_window.h"
#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/server/event_bus.h"
#include "mlpipe/server/serve_client.h"
#include "mlpipe/spec/deploy_spec.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::server {

struct RolloutControllerOptions {
  int64_t infra_timeout_ns = 120'000'000'000;  // the candidate must load within this
  size_t replay_requests = 50;                 // logged requests the infra gate replays
  double replay_max_seconds = 1.0;             // each replayed answer's latency budget
};

// What a look read from the serve process, before its transaction: HTTP
// never runs while the metadata write lock is held.
struct RolloutObservation {
  StatusOr<deploy::DeploymentCounters> counters = UnavailableError("not read");
  // The infrastructure gate's replay, when it was due: the answers and how
  // many logged requests were sent.
  std::optional<StatusOr<std::vector<ReplayAnswer>>> replay;
  size_t replayed = 0;
};

class RolloutController {
 public:
  RolloutController(const store::Workspace& ws, metadata::DeploymentStore& store, metadata::MetadataStore& db,
                    ServeClient& serve, EventBus& bus, Clock& clock, RolloutControllerOptions options = {});
  // Advances every active rollout that is due. Problems with one rollout are
  // events and decision records, not errors.
  void Tick();
  // When the next look is due (wall ns); a far future when nothing is active.
  int64_t NextDueNs() const;
  // A person's decision on rollout `id` (POST /api/v1/rollouts/ID/rollback
  // or /promote), carried out as the controller's own: rollback takes the
  // candidate's traffic away, marks it rejected and ends the rollout;
  // promote moves alias champion to it (promoting, then promoted once the
  // champion arm serves it). `who` names the requester in the decision.
  // NotFound for an unknown rollout; FailedPrecondition for one that is not
  // running or paused (a promote) or not in flight (a rollback).
  Status RollBackByRequest(int64_t id, const std::string& who);
  Status PromoteByRequest(int64_t id, const std::string& who);

 private:
  // Commits the transaction `s` ran in (or rolls it back when `s` failed),
  // then asks the serve processes of the deployments it changed to reload.
  Status EndTransaction(const metadata::Rollout& r, Status s);
  // Runs `body` in one transaction of the store; a failure is an event.
  void InTransaction(const metadata::Rollout& r, const std::function<Status()>& body);
  // The A/B `r` waits for rollout `blocker_id` (one of `all`); a decision.
  Status Wait(metadata::Rollout& r, int64_t blocker_id, const std::vector<metadata::Rollout>& all,
              int64_t now);
  // The wait is over: the current champion recorded, back to infra_gate.
  Status EndWait(metadata::Rollout& r, int64_t now);
  RolloutObservation Observe(const metadata::Rollout& r);
  Status Advance(metadata::Rollout& r, const spec::RolloutSpec& policy, int64_t now,
                 const RolloutObservation& seen);
  Status InfraGate(metadata::Rollout& r, const spec::RolloutSpec& policy, int64_t now,
                   const RolloutObservation& seen);
  Status Look(metadata::Rollout& r, const spec::RolloutSpec& policy, int64_t now,
              const RolloutObservation& seen);
  Status FinishPromotion(metadata::Rollout& r, int64_t now, const RolloutObservation& seen);
  // Starts step `index`: the candidate's share, a new baseline.
  Status StartStep(metadata::Rollout& r, const spec::RolloutSpec& policy, size_t index, int64_t now,
                   int64_t decision_id);
  // Starts the shadow phase: the candidate as the shadow, a new baseline.
  Status StartShadow(metadata::Rollout& r, const spec::RolloutSpec& policy, int64_t now);
  Status RollBack(metadata::Rollout& r, const std::string& reason, int64_t decision_id, int64_t now);
  // `why` empty: the controller's own reason (every step passed).
  Status Promote(metadata::Rollout& r, int64_t decision_id, int64_t now, std::string why = "");
  // The request's decision record, then `act`, in one transaction; the
  // reloads go out after it commits.
  Status ByRequest(int64_t id, const std::string& action, const std::string& who,
                   const std::function<bool(const metadata::Rollout&)>& allowed, const char* allowed_text,
                   const std::function<Status(metadata::Rollout&, int64_t decision_id, const std::string& why,
                                              int64_t now)>& act);
  // A new revision with the candidate at `percent` (version 0: arm removed;
  // `shadow`: the candidate as the shadow, deploy::SetShadowArm), then a
  // reload request to the serve process. Returns the revision written.
  StatusOr<int64_t> SetWeights(const metadata::Rollout& r, int64_t candidate_version, double percent,
                               const std::string& source, const std::string& reason, int64_t decision_id,
                               const std::string& sticky_header, bool shadow = false);
  StatusOr<int64_t> Decide(const metadata::Rollout& r, const std::string& kind, const std::string& verdict,
                           const std::string& reason, const nlohmann::json& inputs,
                           const nlohmann::json& thresholds, const nlohmann::json& statistics);
  StatusOr<deploy::DeploymentCounters> Counters(const std::string& deployment);
  Status Save(metadata::Rollout& r, const std::string& state, int64_t now, const std::string& detail = "");
  void Publish(const metadata::Rollout& r, const std::string& what, const std::string& reason);

  const store::Workspace& ws_;
  metadata::DeploymentStore& store_;
  metadata::MetadataStore& db_;
  ServeClient& serve_;
  EventBus& bus_;
  Clock& clock_;
  RolloutControllerOptions options_;
  std::map<int64_t, int64_t> next_look_ns_;  // rollout id -> when it is due
  std::map<int64_t, std::string> last_problem_;
  std::set<std::string> pending_reloads_;  // deployments changed in the current transaction
  int64_t next_scan_ns_ = 0;
};

}  // namespace mlpipe::server
