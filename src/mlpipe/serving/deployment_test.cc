// The deployment codec: the stored JSON form round-trips, and every kind of
// bad file is reported at its line and column, all problems at once.
#include "mlpipe/serving/deployment.h"

#include <gtest/gtest.h>

#include <fstream>

#include "mlpipe/base/testing/temp_dir.h"

namespace mlpipe::serving {
namespace {

constexpr const char* kFull = R"(deployment: churn-prod
model: churn
variants:
  - {name: champion, alias: champion, weight: 90}
  - {name: challenger, version: v4, weight: 10.5}
  - {name: local, package: pkg, weight: 0}
  - {name: newest, alias: latest}
sticky_header: X-User-Id
shadow: {variant: staging, alias: staging}
)";

std::string ErrorOf(const std::string& yaml) {
  auto d = DeploymentConfig::FromYaml(yaml, "/base", "deploy.yaml");
  EXPECT_FALSE(d.ok()) << yaml;
  return d.ok() ? std::string() : d.status().message();
}

TEST(DeploymentCodecTest, JsonRoundTripKeepsEveryFieldAndAbsolutePackages) {
  auto d = DeploymentConfig::FromYaml(kFull, "/srv/models");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  nlohmann::json j = d->ToJson();
  EXPECT_EQ(j["deployment"], "churn-prod");
  EXPECT_EQ(j["model"], "churn");
  EXPECT_EQ(j["variants"][0]["alias"], "champion");
  EXPECT_EQ(j["variants"][0]["weight"], 90.0);
  EXPECT_EQ(j["variants"][1]["version"], 4);
  EXPECT_EQ(j["variants"][1]["weight"], 10.5);
  EXPECT_EQ(j["variants"][2]["package"], "/srv/models/pkg");
  EXPECT_EQ(j["variants"][3]["weight"], 1.0);  // the default
  EXPECT_EQ(j["sticky_header"], "X-User-Id");
  EXPECT_EQ(j["shadow"]["variant"], "staging");

  auto back = DeploymentConfig::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), j);
  EXPECT_EQ(back->name, "churn-prod");
  EXPECT_EQ(back->variants[0].spec.model_ref, "churn@champion");
  EXPECT_EQ(back->variants[1].spec.model_ref, "churn:v4");
  EXPECT_EQ(back->variants[2].spec.package_path, "/srv/models/pkg");
  EXPECT_EQ(back->variants[3].spec.model_ref, "churn@latest");
  EXPECT_EQ(back->sticky_header, "X-User-Id");
  ASSERT_TRUE(back->shadow.has_value());
  EXPECT_EQ(back->shadow->spec.model_ref, "churn@staging");
}

TEST(DeploymentCodecTest, ASingleVariantOfTheNewestVersionRoundTrips) {
  auto d = DeploymentConfig::SingleVariant("churn", ModelSpec{.model_ref = "churn", .package_path = ""});
  auto back = DeploymentConfig::FromJson(d.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->variants[0].name, "default");
  EXPECT_EQ(back->ToJson(), d.ToJson());
  EXPECT_FALSE(back->shadow.has_value());
}

TEST(DeploymentCodecTest, FromFileMakesPackagesAbsoluteFromTheFilesFolder) {
  mlpipe::testing::TempDir tmp{"deployment-file"};
  std::ofstream(tmp.Sub("d.yaml")) << "model: m\nvariants: [{name: a, package: ./pkg}]\n";
  auto d = DeploymentConfig::FromFile(tmp.Sub("d.yaml"));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->variants[0].spec.package_path, tmp.Sub("pkg"));
  EXPECT_EQ(DeploymentConfig::FromFile(tmp.Sub("absent.yaml")).status().code(), StatusCode::kNotFound);
}

TEST(DeploymentCodecTest, AnUnknownKeyIsPlacedAndGetsADidYouMean) {
  std::string e = ErrorOf("model: m\nvariants:\n  - {name: a, alias: x, wieght: 3}\nshadoww: {}\n");
  EXPECT_NE(e.find("deploy.yaml:3:25: error: unknown key 'wieght'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'weight'?"), std::string::npos) << e;
  EXPECT_NE(e.find("deploy.yaml:4:1: error: unknown key 'shadoww'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'shadow'?"), std::string::npos) << e;
  std::string far = ErrorOf("model: m\nvariants: [{name: a, alias: x}]\ncolour: blue\n");
  EXPECT_NE(far.find("the keys are: deployment, model, variants, sticky_header, shadow"), std::string::npos)
      << far;
}

TEST(DeploymentCodecTest, WeightsSummingToZeroArePlacedAtTheVariantsList) {
  std::string e = ErrorOf(
      "model: m\nvariants:\n  - {name: a, alias: x, weight: 0}\n  - {name: b, version: 2, weight: 0}\n");
  EXPECT_NE(e.find("deploy.yaml:2:1: error: the variant weights sum to 0"), std::string::npos) << e;
  EXPECT_NE(e.find("hint: give at least one variant a weight > 0"), std::string::npos) << e;
}

TEST(DeploymentCodecTest, BadWeightsArePlacedAtTheirKey) {
  std::string negative = ErrorOf("model: m\nvariants:\n  - name: a\n    alias: x\n    weight: -1\n");
  EXPECT_NE(negative.find("deploy.yaml:5:5: error: 'variants[0].weight' must be a number >= 0"),
            std::string::npos)
      << negative;
  std::string text = ErrorOf("model: m\nvariants:\n  - name: a\n    alias: x\n    weight: lots\n");
  EXPECT_NE(text.find("deploy.yaml:5:5: error: 'variants[0].weight' must be a number, got 'lots'"),
            std::string::npos)
      << text;
}

TEST(DeploymentCodecTest, DuplicateVariantNamesNameTheFirstOnesLine) {
  std::string e = ErrorOf("model: m\nvariants:\n  - {name: a, alias: x}\n  - {name: a, alias: y}\n");
  EXPECT_NE(e.find("deploy.yaml:4:6: error: duplicate variant name 'a'"), std::string::npos) << e;
  EXPECT_NE(e.find("the first is at line 3"), std::string::npos) << e;
}

TEST(DeploymentCodecTest, AVariantNeedsExactlyOneSourceAndAName) {
  std::string both = ErrorOf("model: m\nvariants:\n  - {name: a, alias: x, version: 2}\n");
  EXPECT_NE(both.find("deploy.yaml:3:5: error: 'variants[0]' gives 2 of alias, version, package"),
            std::string::npos)
      << both;
  std::string nameless = ErrorOf("model: m\nvariants:\n  - {alias: x}\n");
  EXPECT_NE(nameless.find("deploy.yaml:3:5: error: 'variants[0]' has no 'name'"), std::string::npos)
      << nameless;
  std::string not_map = ErrorOf("model: m\nvariants:\n  - champion\n");
  EXPECT_NE(not_map.find("deploy.yaml:3:5: error: 'variants[0]' must be a mapping"), std::string::npos)
      << not_map;
  std::string bad_version = ErrorOf("model: m\nvariants:\n  - {name: a, version: four}\n");
  EXPECT_NE(bad_version.find("deploy.yaml:3:15: error:"), std::string::npos) << bad_version;
}

TEST(DeploymentCodecTest, EveryProblemIsReportedNotOnlyTheFirst) {
  std::string e = ErrorOf(
      "model: m\nvariants:\n  - {name: a, alias: x, weight: -2}\n  - {name: a, alias: y}\nextra: 1\n");
  EXPECT_NE(e.find(":5:1: error: unknown key 'extra'"), std::string::npos) << e;
  EXPECT_NE(e.find(":3:25: error: 'variants[0].weight'"), std::string::npos) << e;
  EXPECT_NE(e.find(":4:6: error: duplicate variant name"), std::string::npos) << e;
}

TEST(DeploymentCodecTest, StructuralProblemsArePlaced) {
  EXPECT_NE(
      ErrorOf("model: m\nvariants: []\n").find("deploy.yaml:2:1: error: 'variants' must list at least one"),
      std::string::npos);
  EXPECT_NE(ErrorOf("model: m\n").find("deploy.yaml:1:1: error: 'variants' must list at least one"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("- a\n- b\n").find("deploy.yaml:1:1: error: a deployment is a mapping of keys, got a list"),
      std::string::npos);
  EXPECT_NE(ErrorOf("model: bad name\nvariants: [{name: a, alias: x}]\n").find("deploy.yaml:1:1: error:"),
            std::string::npos);
  std::string dup = ErrorOf("model: m\nmodel: n\nvariants: [{name: a, alias: x}]\n");
  EXPECT_NE(dup.find("deploy.yaml:2:1: error: duplicate key 'model'"), std::string::npos) << dup;
  std::string shadow = ErrorOf("model: m\nvariants: [{name: a, alias: x}]\nshadow: {variant: a, alias: y}\n");
  EXPECT_NE(shadow.find("deploy.yaml:3:10: error: shadow 'a' is also a variant"), std::string::npos)
      << shadow;
}

TEST(DeploymentCodecTest, ASyntaxErrorIsPlaced) {
  std::string e = ErrorOf("model: m\nvariants: [{name: a, alias: x}\n");
  EXPECT_NE(e.find("deploy.yaml:3:1: error: not valid YAML"), std::string::npos) << e;
}

TEST(DeploymentCodecTest, MarksPlaceKeysForLaterChecks) {
  DeploymentMarks marks;
  auto d = DeploymentConfig::FromYaml(kFull, "/b", "deploy/churn.yaml", &marks);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(
      marks.Error("model", "deployment names a missing model 'churn'", "register it first"),
      "deploy/churn.yaml:2:1: error: deployment names a missing model 'churn'\n  hint: register it first");
  EXPECT_EQ(marks.Error("variants[1].version", "no such version"),
            "deploy/churn.yaml:5:24: error: no such version");
  // An absent key is placed at its nearest parent.
  EXPECT_EQ(marks.Error("variants[3].version", "x"), "deploy/churn.yaml:7:5: error: x");
}

TEST(DeploymentCodecTest, FromJsonChecksAsTheFileDoesAndNamesTheKeyPath) {
  auto bad = DeploymentConfig::FromJson(
      nlohmann::json::parse(R"({"model":"m","variants":[{"name":"a","alias":"x","weight":0}],"colour":1})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("colour: error: unknown key 'colour'"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("variants: error: the variant weights sum to 0"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(DeploymentConfig::FromJson(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace mlpipe::serving
