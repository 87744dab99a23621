#include "mlpipe/metadata/model_names.h"

#include <gtest/gtest.h>

namespace mlpipe::metadata {
namespace {

TEST(ModelNamesTest, ModelNamesAreUrlSafeWords) {
  for (const char* ok : {"churn", "churn.xgb", "fraud_v2", "a-b", "X1"})
    EXPECT_TRUE(ValidateModelName(ok).ok()) << ok;
  for (const char* bad : {"", "a b", "a/b", "a@b", "a:b", "é"}) {
    EXPECT_EQ(ValidateModelName(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(ValidateModelName(std::string(129, 'a')).ok());
  EXPECT_TRUE(ValidateModelName(std::string(128, 'a')).ok());
}

TEST(ModelNamesTest, AliasesStartWithALetterAndNeverReadAsVersions) {
  for (const char* ok : {"champion", "challenger", "staging", "canary-1", "v", "vip", "v2a"}) {
    EXPECT_TRUE(ValidateAliasName(ok).ok()) << ok;
  }
  for (const char* bad : {"", "latest", "v2", "V10", "1st", "_x", "a b"}) {
    EXPECT_EQ(ValidateAliasName(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(ModelNamesTest, ParseModelRefReadsTheThreeForms) {
  auto plain = ParseModelRef("churn");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->name, "churn");
  EXPECT_FALSE(plain->alias || plain->version);
  auto latest = ParseModelRef("churn@latest");
  ASSERT_TRUE(latest.ok());
  EXPECT_FALSE(latest->alias || latest->version);
  auto alias = ParseModelRef("churn@champion");
  ASSERT_TRUE(alias.ok());
  EXPECT_EQ(alias->alias, "champion");
  auto version = ParseModelRef("churn:v12");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->version, 12);
  for (const char* bad : {"churn:12", "churn:v", "churn:v0", "churn:v1x", "churn@", "@x", "a@b:v1",
                          "churn:v99999999999999999"}) {
    auto r = ParseModelRef(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(ParseModelRef("churn:3").status().message().find("churn:v1"), std::string::npos);
}

}  // namespace
}  // namespace mlpipe::metadata
