// Which in-flight rollout of a deployment is carried out, waits or is
// superseded: plain rollouts supersede older ones; an A/B not yet started
// waits for a rollout of another strategy.
#include "mlpipe/server/rollout_order.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace mlpipe::server {
namespace {

metadata::Rollout Make(int64_t id, const std::string& strategy, const std::string& state,
                       const std::string& detail = "", const std::string& deployment = "live") {
  metadata::Rollout r;
  r.id = id;
  r.deployment = deployment;
  r.policy = nlohmann::json{{"strategy", strategy}}.dump();
  r.state = state;
  r.detail = detail;
  return r;
}

void ExpectRole(const std::map<int64_t, RolloutPlan>& plan, int64_t id, RolloutRole role, int64_t other) {
  auto it = plan.find(id);
  ASSERT_NE(it, plan.end()) << "rollout " << id;
  EXPECT_EQ(it->second.role, role) << "rollout " << id;
  EXPECT_EQ(it->second.other, other) << "rollout " << id;
}

TEST(RolloutOrderTest, ANewerRolloutSupersedesOlderOnes) {
  auto plan = PlanRollouts({Make(3, "canary", "infra_gate"), Make(2, "ab", "running", "step 1"),
                            Make(1, "canary", "running", "step 2"), Make(0, "canary", "promoted")});
  EXPECT_EQ(plan.size(), 3u);  // the promoted one is left out
  ExpectRole(plan, 3, RolloutRole::kCarry, 0);
  ExpectRole(plan, 2, RolloutRole::kSupersede, 3);
  ExpectRole(plan, 1, RolloutRole::kSupersede, 3);
}

TEST(RolloutOrderTest, AnAbNotStartedWaitsForAnotherStrategysRollout) {
  auto plan = PlanRollouts({Make(5, "ab", "infra_gate"), Make(4, "canary", "running", "step 1 of 4"),
                            Make(7, "canary", "running", "step 1", "other")});
  ExpectRole(plan, 5, RolloutRole::kWait, 4);
  ExpectRole(plan, 4, RolloutRole::kCarry, 0);
  ExpectRole(plan, 7, RolloutRole::kCarry, 0);  // another deployment
  // Still waiting while it promotes; an older A/B between them and an older
  // rollout are superseded.
  plan = PlanRollouts(
      {Make(9, "ab", "waiting", "A/B of v9 waits"), Make(8, "ab", "waiting", "A/B of v8 waits"),
       Make(6, "canary", "promoting", "moving the alias"), Make(2, "canary", "paused", "no data")});
  ExpectRole(plan, 9, RolloutRole::kWait, 6);
  ExpectRole(plan, 8, RolloutRole::kSupersede, 9);
  ExpectRole(plan, 6, RolloutRole::kCarry, 0);
  ExpectRole(plan, 2, RolloutRole::kSupersede, 6);
}

TEST(RolloutOrderTest, AnAbWithNothingToWaitForIsCarriedOut) {
  auto plan = PlanRollouts({Make(5, "ab", "waiting", "A/B of v5 waits"), Make(4, "canary", "rolled_back")});
  ExpectRole(plan, 5, RolloutRole::kCarry, 0);
  // An older A/B is superseded by a newer one (a newer challenger's model).
  plan = PlanRollouts({Make(6, "ab", "infra_gate"), Make(5, "ab", "running", "step 1 of 1")});
  ExpectRole(plan, 6, RolloutRole::kCarry, 0);
  ExpectRole(plan, 5, RolloutRole::kSupersede, 6);
  // Once started, an A/B is carried out like any rollout.
  EXPECT_TRUE(RolloutStarted(Make(1, "ab", "infra_gate", "loading the candidate")));
  EXPECT_FALSE(RolloutStarted(Make(1, "ab", "infra_gate")));
  EXPECT_FALSE(RolloutStarted(Make(1, "ab", "waiting", "waits")));
  EXPECT_TRUE(IsAbRollout(Make(1, "ab", "running")));
  EXPECT_FALSE(IsAbRollout(Make(1, "canary", "running")));
}

}  // namespace
}  // namespace mlpipe::server
