#include "mlpipe/spec/graph_export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/spec/loader.h"

namespace mlpipe::spec {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

PipelineSpec Load(const std::string& yaml) {
  LoadOptions options;
  options.check_files = false;
  auto result = LoadPipelineString(yaml, "p.yaml", "/tmp", options);
  EXPECT_TRUE(result.ok()) << result.ErrorText();
  return result.spec;
}

constexpr const char* kDiamond = R"(pipeline: diamond
steps:
  report:
    run: echo ${inputs.a} ${inputs.b} ${outputs.r}
    inputs: {a: left.out, b: right.out}
    outputs: {r: report}
  left:
    run: echo ${inputs.src} ${outputs.out}
    inputs: {src: data/raw.csv}
    outputs: {out: dataset}
  right:
    run: echo ${inputs.src} ${outputs.out}
    inputs: {src: data/raw.csv}
    outputs: {out: dataset}
  last:
    run: "true"
    after: [report]
)";

TEST(TopologicalOrderTest, DependenciesFirstThenSpecOrder) {
  PipelineSpec spec = Load(kDiamond);
  EXPECT_THAT(TopologicalOrder(spec), ElementsAre(1, 2, 0, 3));
  EXPECT_THAT(StepDependencies(spec)[0], ElementsAre(1, 2));
  EXPECT_THAT(StepDependencies(spec)[3], ElementsAre(0));
}

TEST(TopologicalOrderTest, LeavesOutStepsOnACycle) {
  PipelineSpec spec;
  spec.steps.resize(3);
  spec.steps[0].name = "a";
  spec.steps[1].name = "b";
  spec.steps[1].after = {"c"};
  spec.steps[2].name = "c";
  spec.steps[2].after = {"b"};
  EXPECT_THAT(TopologicalOrder(spec), ElementsAre(0));
}

TEST(ToDotTest, StepsSourcesAndLabelledEdges) {
  std::string dot = ToDot(Load(kDiamond));
  EXPECT_THAT(dot, HasSubstr("digraph \"diamond\" {"));
  EXPECT_THAT(dot, HasSubstr("\"step:left\" [label=\"left\"];"));
  EXPECT_THAT(dot, HasSubstr("\"source:data/raw.csv\" [label=\"data/raw.csv\", shape=note];"));
  EXPECT_THAT(dot, HasSubstr("\"source:data/raw.csv\" -> \"step:left\" [label=\"src\"];"));
  EXPECT_THAT(dot, HasSubstr("\"step:left\" -> \"step:report\" [label=\"out\"];"));
  EXPECT_THAT(dot, HasSubstr("\"step:report\" -> \"step:last\" [style=dashed];"));
  // One node per source even when two steps read it.
  EXPECT_EQ(dot.find("shape=note"), dot.rfind("shape=note"));
}

// Regression: the built-in's second line was escaped twice ("\\\\n"), so
// Graphviz drew a literal backslash-n instead of a line break.
TEST(ToDotTest, EscapesLabelsOnce) {
  PipelineSpec spec;
  spec.name = "p";
  spec.steps.resize(2);
  spec.steps[0].name = "split";
  spec.steps[0].component = std::make_shared<const ComponentRef>(ComponentRef{"split", "", "", {}, "split"});
  spec.steps[1].name = "say";
  InputBinding in;
  in.name = "quote\"d";
  in.kind = InputBinding::Kind::kSource;
  in.value = "data/a\\b.csv";
  spec.steps[1].inputs.push_back(in);
  std::string dot = ToDot(spec);
  EXPECT_THAT(dot, HasSubstr("  \"step:split\" [label=\"split\\n(mlpipe/split)\"];\n"));
  EXPECT_THAT(dot, HasSubstr("  \"source:data/a\\\\b.csv\" -> \"step:say\" [label=\"quote\\\"d\"];\n"));
  EXPECT_THAT(dot, Not(HasSubstr("\\\\n")));
}

TEST(ToMermaidTest, StepsSourcesAndLabelledEdges) {
  std::string m = ToMermaid(Load(kDiamond));
  EXPECT_THAT(m, HasSubstr("flowchart LR\n"));
  EXPECT_THAT(m, HasSubstr("  s1[\"left\"]\n"));
  EXPECT_THAT(m, HasSubstr("  src0[(\"data/raw.csv\")]\n"));
  EXPECT_THAT(m, HasSubstr("  src0 -->|src| s1\n"));
  EXPECT_THAT(m, HasSubstr("  s1 -->|out| s0\n"));
  EXPECT_THAT(m, HasSubstr("  s0 -.-> s3\n"));
}

}  // namespace
}  // namespace mlpipe::spec
