#include "mlpipe/server/rollout_order.h"

#include <string>

#include "mlpipe/metadata/deployment_view.h"

namespace mlpipe::server {

bool IsAbRollout(const metadata::Rollout& r) {
  const nlohmann::json policy = metadata::StoredJson(r.policy);
  return policy.is_object() && policy.value("strategy", "") == "ab";
}

bool RolloutStarted(const metadata::Rollout& r) {
  return r.state != "waiting" && !(r.state == "infra_gate" && r.detail.empty());
}

std::map<int64_t, RolloutPlan> PlanRollouts(const std::vector<metadata::Rollout>& newest_first) {
  std::map<std::string, std::vector<const metadata::Rollout*>> by_deployment;
  for (const metadata::Rollout& r : newest_first) {
    if (r.InFlight()) by_deployment[r.deployment].push_back(&r);
  }
  std::map<int64_t, RolloutPlan> plan;
  for (const auto& [deployment, rollouts] : by_deployment) {
    const metadata::Rollout* head = rollouts.front();
    const metadata::Rollout* carried = head;
    if (IsAbRollout(*head) && !RolloutStarted(*head)) {
      for (size_t i = 1; i < rollouts.size(); ++i) {
        if (!IsAbRollout(*rollouts[i])) {
          carried = rollouts[i];
          break;
        }
      }
    }
    for (const metadata::Rollout* r : rollouts) {
      if (r == carried) {
        plan[r->id] = {RolloutRole::kCarry, 0};
      } else if (r == head) {
        plan[r->id] = {RolloutRole::kWait, carried->id};
      } else {
        // Older than the one carried out: superseded by it; between the two
        // (older A/Bs): by the newer A/B.
        plan[r->id] = {RolloutRole::kSupersede, r->id < carried->id ? carried->id : head->id};
      }
    }
  }
  return plan;
}

}  // namespace mlpipe::server
