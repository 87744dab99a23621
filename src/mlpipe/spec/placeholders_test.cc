#include "mlpipe/spec/placeholders.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlpipe::spec {
namespace {

ExpandContext Context() {
  ExpandContext c;
  c.params = {{"word", "a b;c"}, {"repeat", 3}, {"eta", 0.3}, {"on", true}, {"files", {"x", "y z"}}};
  c.inputs = {{"text", "/in/text.txt"}};
  c.outputs = {{"counts", "/out/counts"}};
  c.run_id = "r42";
  c.step_name = "count";
  c.pipeline_dir = "/p";
  return c;
}

TEST(ParseTemplateTest, SplitsLiteralsAndReferences) {
  auto t = ParseTemplate("--out=${outputs.x}/$${run.id}");
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->parts.size(), 3u);
  EXPECT_EQ(t->parts[0].text, "--out=");
  EXPECT_EQ(t->parts[1].scope, RefScope::kOutputs);
  EXPECT_EQ(t->parts[1].name, "x");
  EXPECT_EQ(t->parts[1].offset, 6u);
  EXPECT_EQ(t->parts[2].text, "/${run.id}");
  EXPECT_TRUE(t->HasRefs());
  EXPECT_FALSE(t->IsSingleRef());
}

TEST(ParseTemplateTest, RejectsMalformedAndUnknownPlaceholders) {
  EXPECT_EQ(ParseTemplate("a ${params.x").status().message(),
            "unterminated placeholder '${params.x' (missing '}')");
  EXPECT_EQ(ParseTemplate("${foo.bar}").status().message(), "unknown placeholder '${foo.bar}'");
  EXPECT_EQ(ParseTemplate("${params}").status().message(), "malformed placeholder '${params}'");
  EXPECT_EQ(ParseTemplate("${run.name}").status().message(), "unknown placeholder '${run.name}'");
  EXPECT_EQ(ParseTemplate("${params.a b}").status().message(), "malformed placeholder '${params.a b}'");
}

TEST(ForEachTemplatePartTest, VisitsThePartsParseTemplateReturns) {
  const std::string text = "cp ${inputs.a} $$HOME/${params.x}-${run.id} ${outputs.b}";
  auto t = ParseTemplate(text);
  ASSERT_TRUE(t.ok());
  std::vector<TemplatePart> seen;
  ASSERT_TRUE(ForEachTemplatePart(text, [&](TemplatePart&& p) { seen.push_back(std::move(p)); }).ok());
  ASSERT_EQ(seen.size(), t->parts.size());
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].kind, t->parts[i].kind) << i;
    EXPECT_EQ(seen[i].text, t->parts[i].text) << i;
    EXPECT_EQ(seen[i].scope, t->parts[i].scope) << i;
    EXPECT_EQ(seen[i].name, t->parts[i].name) << i;
    EXPECT_EQ(seen[i].offset, t->parts[i].offset) << i;
  }
  EXPECT_EQ(ForEachTemplatePart("a ${inputs.x} ${nope", [](TemplatePart&&) {}).code(), StatusCode::kInvalidArgument);
}

TEST(ParseTemplateTest, LoneDollarIsLiteral) {
  auto t = ParseTemplate("cost $5 and $HOME");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->HasRefs());
}

TEST(ExpandTest, SubstitutesEveryKind) {
  auto s = Expand("${params.repeat}x ${params.eta} ${params.on} ${inputs.text} ${outputs.counts} "
                  "${run.id} ${step.name} ${pipeline.dir} $$ ${params.files}",
                  Context());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, "3x 0.3 true /in/text.txt /out/counts r42 count /p $ x y z");
}

TEST(ExpandTest, UnknownNamesAreErrors) {
  EXPECT_EQ(Expand("${params.nope}", Context()).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Expand("${inputs.nope}", Context()).status().message(), "unknown input 'nope'");
  EXPECT_EQ(Expand("${outputs.nope}", Context()).status().message(), "unknown output 'nope'");
}

TEST(ExpandArgvTest, ValueWithSpacesAndSemicolonStaysOneArgument) {
  auto argv = ExpandArgv({"echo", "${params.word}", "--n=${params.repeat}"}, Context());
  ASSERT_TRUE(argv.ok());
  EXPECT_THAT(*argv, ::testing::ElementsAre("echo", "a b;c", "--n=3"));
}

TEST(ExpandArgvTest, WholeElementListExpandsToOneArgumentPerItem) {
  auto argv = ExpandArgv({"cat", "${params.files}", "x${params.files}"}, Context());
  ASSERT_TRUE(argv.ok());
  EXPECT_THAT(*argv, ::testing::ElementsAre("cat", "x", "y z", "xx y z"));
}

}  // namespace
}  // namespace mlpipe::spec
