// Loops through register: and on_model triggers across pipelines.
#include "mlpipe/spec/trigger_loops.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlpipe::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

PipelineSpec Pipeline(const std::string& name, std::vector<std::string> registers,
                      std::vector<std::string> watches) {
  PipelineSpec p;
  p.name = name;
  for (auto& m : registers) {
    RegisterSpec r;
    r.model = m;
    p.registers.push_back(r);
  }
  int line = 10;
  for (auto& m : watches) {
    TriggerSpec t;
    t.kind = TriggerSpec::Kind::kOnModel;
    t.model = m;
    t.id = "on_model#" + std::to_string(p.triggers.size() + 1);
    t.loc = SourceLocation{name + ".yaml", line++, 5};
    p.triggers.push_back(t);
  }
  return p;
}

std::vector<std::string> Messages(const std::vector<const PipelineSpec*>& pipelines) {
  std::vector<std::string> out;
  for (const auto& d : CheckTriggerLoops(pipelines)) out.push_back(d.loc.ToString() + " " + d.message);
  return out;
}

TEST(TriggerLoopsTest, AChainOfThreeIsReportedOnceWithTheWholeChain) {
  PipelineSpec a = Pipeline("lending_club", {"features"}, {"scores"});
  PipelineSpec b = Pipeline("scoring", {"risk"}, {"features"});
  PipelineSpec c = Pipeline("report", {"scores"}, {"risk"});
  PipelineSpec d = Pipeline("unrelated", {"other"}, {"features"});
  EXPECT_THAT(
      Messages({&a, &b, &c, &d}),
      ElementsAre("lending_club.yaml:10:5 trigger on_model#1 of pipeline 'lending_club' starts it in a "
                  "loop: lending_club registers features -> scoring on_model features -> scoring registers "
                  "risk -> report on_model risk -> report registers scores -> lending_club on_model "
                  "scores"));
  auto diags = CheckTriggerLoops({&a, &b, &c});
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_THAT(diags[0].hint, ::testing::HasSubstr("break the chain"));
}

TEST(TriggerLoopsTest, NoLoopWithoutTheClosingArrow) {
  PipelineSpec a = Pipeline("a", {"m1"}, {});
  PipelineSpec b = Pipeline("b", {"m2"}, {"m1"});
  PipelineSpec c = Pipeline("c", {}, {"m2"});
  EXPECT_THAT(Messages({&a, &b, &c}), IsEmpty());
  EXPECT_THAT(Messages({}), IsEmpty());
}

TEST(TriggerLoopsTest, TwoSeparateLoopsAndNestedTriggers) {
  PipelineSpec a = Pipeline("a", {"ma"}, {"mb"});
  PipelineSpec b = Pipeline("b", {"mb"}, {});
  // b watches ma inside all: (with a brake), which still makes a loop.
  TriggerSpec all;
  all.kind = TriggerSpec::Kind::kAll;
  all.id = "all#1";
  TriggerSpec child;
  child.kind = TriggerSpec::Kind::kOnModel;
  child.model = "ma";
  child.alias = "champion";
  child.id = "all#1/on_model#1";
  child.loc = SourceLocation{"b.yaml", 20, 9};
  all.children.push_back(child);
  b.triggers.push_back(all);
  PipelineSpec c = Pipeline("c", {"mc"}, {"md"});
  PipelineSpec d = Pipeline("d", {"md"}, {"mc"});
  EXPECT_THAT(
      Messages({&a, &b, &c, &d}),
      ElementsAre("a.yaml:10:5 trigger on_model#1 of pipeline 'a' starts it in a loop: a registers ma -> "
                  "b on_model ma -> b registers mb -> a on_model mb",
                  "c.yaml:10:5 trigger on_model#1 of pipeline 'c' starts it in a loop: c registers mc -> "
                  "d on_model mc -> d registers md -> c on_model md"));
}

TEST(TriggerLoopsTest, OwnModelIsLeftToTheLoader) {
  PipelineSpec a = Pipeline("a", {"m"}, {"m"});
  EXPECT_THAT(Messages({&a}), IsEmpty());
}

}  // namespace
}  // namespace mlpipe::spec
