#include "mlpipe/export/yaml_text.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "mlpipe/export/yaml_json_test_util.h"

namespace mlpipe::exporter {
namespace {

using testing::YamlToJson;

TEST(YamlTextTest, ReadsBackAsTheSameDocument) {
  const nlohmann::json doc = {
      {"apiVersion", "argoproj.io/v1alpha1"},
      {"metadata", {{"annotations", {{"mlpipe.dev/step.a", "cached: same key as run 4"}}}}},
      {"looks_like", {"1", "true", "null", "", "a: b", "- x", "#c", "multi\nline\t\"quoted\" 'it'"}},
      {"numbers", {1, 2.5, -3}},
      {"flags", {true, false}},
      {"empty_map", nlohmann::json::object()},
      {"empty_list", nlohmann::json::array()},
      {"nested", {{{"name", "x"}, {"list", {{{"a", 1}}, {{"b", {1, 2}}}}}}, {{"name", "y"}}}},
      {"1", "a key that looks like a number"},
  };
  const std::string text = YamlText(doc);
  EXPECT_EQ(YamlToJson(YAML::Load(text)), doc) << text;
}

TEST(YamlTextTest, WritesPlainKeysAndQuotedStrings) {
  EXPECT_EQ(YamlText({{"kind", "Workflow"}, {"spec", {{"n", 2}}}}), "kind: \"Workflow\"\nspec:\n  n: 2\n");
  EXPECT_EQ(YamlText({{"list", {{{"name", "a"}, {"x", 1}}}}}), "list:\n- name: \"a\"\n  x: 1\n");
}

}  // namespace
}  // namespace mlpipe::exporter
