#include "mlpipe/deploy/arms.h"

#include <gtest/gtest.h>

namespace mlpipe::deploy {
namespace {

double WeightOf(const serving::DeploymentConfig& c, const std::string& name) {
  for (const auto& v : c.variants) {
    if (v.name == name) return v.weight;
  }
  return -1;
}

TEST(ArmsTest, DefaultDeploymentServesTheChampionAlias) {
  serving::DeploymentConfig c = DefaultDeployment("churn-prod", "churn");
  ASSERT_EQ(c.variants.size(), 1u);
  EXPECT_EQ(c.name, "churn-prod");
  EXPECT_EQ(c.variants[0].spec.model_ref, "churn@champion");
  EXPECT_EQ(ChampionArm(c), "champion");
}

TEST(ArmsTest, SetArmsSplitsTheTwoArmsAndRemovesTheCandidate) {
  serving::DeploymentConfig c = DefaultDeployment("churn", "churn");
  SetArms(&c, 7, 25);
  ASSERT_EQ(c.variants.size(), 2u);
  EXPECT_EQ(WeightOf(c, "champion"), 75);
  EXPECT_EQ(WeightOf(c, "candidate"), 25);
  EXPECT_EQ(c.variants[1].spec.model_ref, "churn:v7");
  SetArms(&c, 7, 100);
  EXPECT_EQ(WeightOf(c, "champion"), 0);
  EXPECT_EQ(WeightOf(c, "candidate"), 100);
  SetArms(&c, 0, 0);
  ASSERT_EQ(c.variants.size(), 1u);
  EXPECT_EQ(WeightOf(c, "champion"), 100);
}

TEST(ArmsTest, AUserNamedChampionVariantAndOtherVariantsAreKept) {
  serving::DeploymentConfig c = DefaultDeployment("churn", "churn");
  c.variants[0].name = "main";
  serving::VariantConfig other;
  other.name = "legacy";
  other.spec.model_ref = "churn:v1";
  other.weight = 10;
  c.variants.push_back(other);
  SetArms(&c, 9, 5);
  EXPECT_EQ(ChampionArm(c), "main");
  EXPECT_EQ(WeightOf(c, "main"), 95);
  EXPECT_EQ(WeightOf(c, "legacy"), 10);
  EXPECT_EQ(WeightOf(c, "candidate"), 5);
  EXPECT_EQ(WeightOf(c, "champion"), -1);  // no second champion arm added
}

TEST(ArmsTest, TheShadowPhaseMakesTheCandidateTheShadowAndAStepRemovesIt) {
  serving::DeploymentConfig c = DefaultDeployment("churn", "churn");
  SetArms(&c, 7, 0);  // the infrastructure gate's arm at weight 0
  SetShadowArm(&c, 7);
  ASSERT_EQ(c.variants.size(), 1u);
  EXPECT_EQ(WeightOf(c, "champion"), 100);
  ASSERT_TRUE(c.shadow.has_value());
  EXPECT_EQ(c.shadow->name, "candidate");
  EXPECT_EQ(c.shadow->spec.model_ref, "churn:v7");
  // Step 0 in the same revision: the arm back, the shadow gone.
  SetArms(&c, 7, 5);
  EXPECT_FALSE(c.shadow.has_value());
  EXPECT_EQ(WeightOf(c, "candidate"), 5);
  // A rollback from the shadow phase removes it too; a user's own shadow stays.
  SetShadowArm(&c, 7);
  SetArms(&c, 0, 0);
  EXPECT_FALSE(c.shadow.has_value());
  serving::VariantConfig mine;
  mine.name = "staging";
  mine.spec.model_ref = "churn@staging";
  c.shadow = mine;
  SetArms(&c, 0, 0);
  ASSERT_TRUE(c.shadow.has_value());
  EXPECT_EQ(c.shadow->name, "staging");
}

}  // namespace
}  // namespace mlpipe::deploy
