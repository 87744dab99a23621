// challenger_of across pipelines: the pipeline named, its deployment and
// model, cycles; each at the challenger's file:line:column.
#include "mlpipe/spec/challengers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlpipe::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A pipeline deploying `model` to `deployment` ("" = no deploy: block),
// challenging `of` ("" = none), its challenger_of: on line 3 and deploy: on
// line 5 of NAME.yaml.
PipelineSpec Pipeline(const std::string& name, const std::string& deployment, const std::string& of,
                      const std::string& model = "m") {
  PipelineSpec p;
  p.name = name;
  p.challenger_of = of;
  p.challenger_of_loc = SourceLocation{name + ".yaml", 3, 16};
  if (!deployment.empty()) {
    DeploySpec d;
    d.model = model;
    d.deployment = deployment;
    d.loc = SourceLocation{name + ".yaml", 5, 1};
    p.deploy = d;
  }
  return p;
}

std::vector<std::string> Found(const std::vector<PipelineSpec>& specs, bool complete) {
  std::vector<const PipelineSpec*> ptrs;
  for (const auto& s : specs) ptrs.push_back(&s);
  std::vector<std::string> out;
  for (const auto& d : CheckChallengers(ptrs, complete)) out.push_back(d.ToString());
  return out;
}

TEST(ChallengersTest, APairSharingTheDeploymentIsValid) {
  EXPECT_THAT(Found({Pipeline("a", "live", ""), Pipeline("b", "live", "a")}, true), IsEmpty());
  // A chain is no cycle.
  EXPECT_THAT(
      Found({Pipeline("a", "live", ""), Pipeline("b", "live", "a"), Pipeline("c", "live", "b")}, true),
      IsEmpty());
}

TEST(ChallengersTest, TheChallengedPipelineMustBeAmongTheServers) {
  auto found = Found({Pipeline("lending_club", "live", ""), Pipeline("b", "live", "lending_clb")}, true);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_THAT(found[0],
              HasSubstr("b.yaml:3:16: error: challenger_of names pipeline 'lending_clb', which is not "
                        "one of the server's pipelines"));
  EXPECT_THAT(found[0], HasSubstr("did you mean 'lending_club'?"));
  // validate given the challenger alone cannot tell.
  EXPECT_THAT(Found({Pipeline("b", "live", "lending_clb")}, false), IsEmpty());
}

TEST(ChallengersTest, BothDeployToOneDeploymentAndModel) {
  auto none = Found({Pipeline("a", "", ""), Pipeline("b", "live", "a")}, true);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_THAT(none[0],
              HasSubstr("b.yaml:3:16: error: pipeline 'b' challenges 'a', which has no deploy: block"));
  auto other = Found({Pipeline("a", "live", ""), Pipeline("b", "staging", "a")}, false);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_THAT(other[0],
              HasSubstr("b.yaml:5:1: error: challenger 'b' deploys to deployment 'staging', but 'a' "
                        "(which it challenges) deploys to 'live'"));
  EXPECT_THAT(other[0], HasSubstr("hint: add deployment: live to the deploy: block"));
  auto model = Found({Pipeline("a", "live", "", "churn"), Pipeline("b", "live", "a", "churn-sk")}, true);
  ASSERT_EQ(model.size(), 1u);
  EXPECT_THAT(model[0],
              HasSubstr("b.yaml:5:1: error: challenger 'b' deploys model 'churn-sk', but deployment "
                        "'live' serves model 'churn' (of 'a')"));
  EXPECT_THAT(model[0], HasSubstr("register the challenger's model as 'churn'"));
}

TEST(ChallengersTest, ACycleIsReportedOnceAtItsFirstPipeline) {
  EXPECT_THAT(
      Found({Pipeline("a", "live", "b"), Pipeline("b", "live", "a")}, true),
      ElementsAre("a.yaml:3:16: error: challenger_of forms a cycle: a challenges b challenges a\n"
                  "  hint: one pipeline of the cycle holds the champion: remove challenger_of from it"));
  auto three = Found({Pipeline("x", "live", ""), Pipeline("a", "live", "c"), Pipeline("b", "live", "a"),
                      Pipeline("c", "live", "b")},
                     true);
  ASSERT_EQ(three.size(), 1u);
  EXPECT_THAT(three[0],
              HasSubstr("a.yaml:3:16: error: challenger_of forms a cycle: a challenges c challenges b "
                        "challenges a"));
}

}  // namespace
}  // namespace mlpipe::spec
