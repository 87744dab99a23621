// Which in-flight rollout of a deployment the rollout controller carries out.
// One rollout owns a deployment's weights at a time:
// - the newest one is carried out, and supersedes older ones (cancelled);
// - except an A/B (strategy ab: a challenger's model) that has not started
//   yet while a rollout of another strategy is in flight: the A/B waits, so
//   that the other finishes (promoted or rolled back) and the A/B then faces
//   the champion that results. The one it waits for is carried out.
// A pure function of the rollouts' rows.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "mlpipe/metadata/deployment_store.h"

namespace mlpipe::server {

enum class RolloutRole : uint8_t {
  kCarry,      // the controller advances it
  kWait,       // an A/B waiting for rollout `other`
  kSupersede,  // cancelled: rollout `other` supersedes it
};

struct RolloutPlan {
  RolloutRole role = RolloutRole::kCarry;
  int64_t other = 0;
};

// Whether the rollout's stored policy is strategy ab.
bool IsAbRollout(const metadata::Rollout& r);
// Whether it has begun to change its deployment's weights: not waiting, and
// past the infrastructure gate's first action.
bool RolloutStarted(const metadata::Rollout& r);

// The role of every in-flight rollout in `newest_first` (the others are left
// out), by id.
std::map<int64_t, RolloutPlan> PlanRollouts(const std::vector<metadata::Rollout>& newest_first);

}  // namespace mlpipe::server
