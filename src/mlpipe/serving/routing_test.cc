#include "mlpipe/serving/routing.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

#include "mlpipe/serving/deployment.h"


namespace mlpipe::serving {
namespace {

TEST(RoutingTest, ChooseVariantSplitsTheUnitIntervalByWeight) {
  std::vector<double> w = {90, 10};
  EXPECT_EQ(ChooseVariant(w, 0.0), 0u);
  EXPECT_EQ(ChooseVariant(w, 0.8999), 0u);
  EXPECT_EQ(ChooseVariant(w, 0.9001), 1u);
  EXPECT_EQ(ChooseVariant(w, 0.99999999), 1u);
  EXPECT_EQ(ChooseVariant(w, 1.0), 1u);  // rounding up never leaves the range
  EXPECT_EQ(ChooseVariant({0, 5, 0}, 0.3), 1u);
  EXPECT_EQ(ChooseVariant({3, 0}, 0.99), 0u);  // zero weight never wins
}

TEST(RoutingTest, NinetyTenSplitOverTenThousandRandomRequestsIsWithinOnePoint) {
  std::vector<double> w = {90, 10};
  int counts[2] = {0, 0};
  for (int i = 0; i < 10000; ++i) ++counts[RouteRequest(w, "")];
  EXPECT_NEAR(counts[1] / 10000.0, 0.10, 0.01) << counts[1];
}

TEST(RoutingTest, NinetyTenSplitOverTenThousandStickyKeysIsWithinOnePoint) {
  std::vector<double> w = {90, 10};
  int counts[2] = {0, 0};
  for (int i = 0; i < 10000; ++i) ++counts[RouteRequest(w, "user-" + std::to_string(i))];
  EXPECT_NEAR(counts[1] / 10000.0, 0.10, 0.01) << counts[1];
}

TEST(RoutingTest, OneStickyKeyAlwaysGetsOneVariant) {
  std::vector<double> w = {50, 50};
  for (int k = 0; k < 100; ++k) {
    std::string key = "customer-" + std::to_string(k);
    size_t first = RouteRequest(w, key);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(RouteRequest(w, key), first) << key;
  }
}

TEST(RoutingTest, StickyDrawIsStableAcrossProcesses) {
  // Pinned values: a change here would move every sticky user to another variant.
  EXPECT_DOUBLE_EQ(StickyDraw("user-42"), StickyDraw(std::string("user-") + "42"));
  EXPECT_NEAR(StickyDraw(""), 0.4, 0.6);  // defined for the empty key too
  EXPECT_DOUBLE_EQ(StickyDraw("alice"), 0.10163017158458243);
  EXPECT_DOUBLE_EQ(StickyDraw("bob"), 0.12319202549432506);
}

TEST(DeploymentTest, ParsesTheDocumentedExample) {
  auto d = DeploymentConfig::FromYaml(R"(
deployment: churn-prod
model: churn
variants:
  - {name: champion, alias: champion, weight: 90}
  - {name: challenger, version: 4, weight: 10}
  - {name: local, package: pkg, weight: 0}
sticky_header: X-User-Id
shadow: {variant: challenger2, alias: staging}
)",
                                      "/base");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->name, "churn-prod");
  EXPECT_EQ(d->model, "churn");
  ASSERT_EQ(d->variants.size(), 3u);
  EXPECT_EQ(d->variants[0].spec.model_ref, "churn@champion");
  EXPECT_EQ(d->variants[0].weight, 90);
  EXPECT_EQ(d->variants[1].spec.model_ref, "churn:v4");
  EXPECT_EQ(d->variants[2].spec.package_path, "/base/pkg");
  EXPECT_EQ(d->sticky_header, "X-User-Id");
  ASSERT_TRUE(d->shadow.has_value());
  EXPECT_EQ(d->shadow->name, "challenger2");
  EXPECT_EQ(d->shadow->spec.model_ref, "churn@staging");
}

TEST(DeploymentTest, RejectsMalformedFilesWithTheKey) {
  auto bad = [](const std::string& yaml) {
    auto d = DeploymentConfig::FromYaml(yaml);
    EXPECT_FALSE(d.ok()) << yaml;
    return d.ok() ? std::string() : d.status().message();
  };
  EXPECT_NE(bad("model: m\nvariants: []").find("at least one"), std::string::npos);
  EXPECT_NE(bad("model: m\nvariants: [{name: a, alias: x, version: 2}]").find("exactly one"), std::string::npos);
  EXPECT_NE(bad("model: m\nvariants: [{name: a, alias: x}, {name: a, alias: y}]").find("duplicate"),
            std::string::npos);
  EXPECT_NE(bad("model: m\nvariants: [{name: a, alias: x, weight: 0}]").find("sum to 0"), std::string::npos);
  EXPECT_NE(bad("model: m\nvariants: [{name: a, alias: x, weight: -1}]").find("weight"), std::string::npos);
  EXPECT_NE(bad("model: m\nvariant: [{name: a, alias: x}]").find("variants"), std::string::npos);
  EXPECT_NE(bad("model: m\nvariants: [{name: a, alias: x}]\nshadoww: {}").find("unknown key"), std::string::npos);
  EXPECT_NE(bad("model: m\nvariants: [{name: a, alias: x}\n").find("deployment"), std::string::npos);
}

TEST(DeploymentTest, ModelFlagParsesAliasAndVersion) {
  auto a = ParseModelFlag("churn@champion");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "churn");
  EXPECT_EQ(a->second.model_ref, "churn@champion");
  auto v = ParseModelFlag("churn:v3");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->first, "churn");
  EXPECT_FALSE(ParseModelFlag("bad name@x").ok());
}

}  // namespace
}  // namespace mlpipe::serving
