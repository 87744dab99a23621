#include "mlpipe/base/yaml_nesting.h"

#include <gtest/gtest.h>

#include <string>

namespace mlpipe {
namespace {

TEST(YamlNestingTest, OrdinaryFilesPass) {
  EXPECT_FALSE(CheckYamlNesting(R"(pipeline: p
params: {depth: 6, tags: [a, "b]", 'c[']}
steps:
  train:
    run: awk '{print $1}' [x
    script: |
      [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
    inputs:
      - {name: a, from: [b, c]}
      - - nested
        - list
)"));
  EXPECT_FALSE(CheckYamlNesting(""));
}

TEST(YamlNestingTest, DeepFlowNestingStopsAtTheBracketPastTheLimit) {
  const std::string deep = "x: " + std::string(40000, '[') + std::string(40000, ']') + "\n";
  auto error = CheckYamlNesting(deep);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->line, 1);
  // "x: " opens the first level (the map), then 64 brackets pass the limit.
  EXPECT_EQ(error->column, 4 + 63);
  EXPECT_NE(error->message.find("more than 64 levels"), std::string::npos);
  EXPECT_FALSE(CheckYamlNesting("x: " + std::string(63, '[') + std::string(63, ']')));
}

TEST(YamlNestingTest, DeepFlowNestingAcrossLines) {
  std::string text = "steps:\n";
  for (int i = 0; i < 100; ++i) text += "  {a:\n";
  auto error = CheckYamlNesting(text);
  ASSERT_TRUE(error.has_value());
  // Line N opens level N + 1 (the steps: map, the indented line, N - 1 braces).
  EXPECT_EQ(error->line, 64);
}

TEST(YamlNestingTest, DeepBlockNestingByIndentationAndCompactItems) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += std::string(static_cast<size_t>(i), ' ') + "k:\n";
  auto error = CheckYamlNesting(text);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->line, 65);
  std::string compact;
  for (int i = 0; i < 100; ++i) compact += "- ";
  compact += "x\n";
  ASSERT_TRUE(CheckYamlNesting(compact).has_value());
  EXPECT_EQ(CheckYamlNesting(compact)->column, 1 + 2 * 63);
}

}  // namespace
}  // namespace mlpipe
