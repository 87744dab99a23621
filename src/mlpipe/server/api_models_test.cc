// The model registry routes against a real SQLite file.
#include "mlpipe/server/api_test_fixture.h"

namespace mlpipe::server {
namespace {

using nlohmann::json;

class ApiModelsTest : public ApiTest {
 protected:
  void SetUp() override {
    ApiTest::SetUp();
    run_ = AddRun("p");
    for (int i = 1; i <= 3; ++i) {
      const std::string ref = AddFile("p.train.model", "model " + std::to_string(i), std::nullopt, "model");
      metadata::ModelVersion v;
      v.name = "churn";
      v.ref = ref;
      v.source = "p.train.model:v" + std::to_string(i);
      v.run_id = run_;
      v.metrics_json = R"({"evaluate.auc": 0.9})";
      v.created_ns = 1'700'000'000'000'000'000;
      ASSERT_TRUE(db_->RegisterModelVersion(v, "churn model").ok());
    }
    ASSERT_TRUE(db_->SetAlias("churn", "champion", 1, "first", 10).ok());
    ASSERT_TRUE(db_->SetAlias("churn", "champion", 3, "auc 0.93 > 0.91", 20).ok());
    ASSERT_TRUE(db_->SetAlias("churn", "challenger", 2, "", 30).ok());
  }
  int64_t run_ = 0;
};

TEST_F(ApiModelsTest, ModelsAreListedWithTheirLatestVersionAndAliases) {
  json list = GetJson("/api/v1/models");
  ASSERT_EQ(list["models"].size(), 1u);
  const json& m = list["models"][0];
  EXPECT_EQ(m["name"], "churn");
  EXPECT_EQ(m["versions"], 3);
  EXPECT_EQ(m["latest"], 3);
  EXPECT_EQ(m["aliases"], (json{{"challenger", 2}, {"champion", 3}}));
}

TEST_F(ApiModelsTest, AModelHasItsVersionsWithRunsAndAliases) {
  json m = GetJson("/api/v1/models/churn");
  EXPECT_EQ(m["description"], "churn model");
  ASSERT_EQ(m["versions"].size(), 3u);
  EXPECT_EQ(m["versions"][2]["version"], 3);
  EXPECT_EQ(m["versions"][2]["run"], run_);
  EXPECT_EQ(m["versions"][2]["aliases"], json::array({"champion"}));
  EXPECT_EQ(m["versions"][2]["metrics"]["evaluate.auc"], 0.9);
  EXPECT_EQ(m["versions"][0]["aliases"], json::array());
  EXPECT_EQ(m["aliases"].size(), 2u);
  json aliases = GetJson("/api/v1/models/churn/aliases");
  EXPECT_EQ(aliases["aliases"], m["aliases"]);
  EXPECT_EQ(GetError("/api/v1/models/nope", 404)["code"], "not_found");
  GetError("/api/v1/models/nope/aliases", 404);
}

TEST_F(ApiModelsTest, AnAliasHistoryIsNewestFirstWithReasons) {
  json h = GetJson("/api/v1/models/churn/aliases/champion/history");
  EXPECT_EQ(h["version"], 3);
  ASSERT_EQ(h["history"].size(), 2u);
  EXPECT_EQ(h["history"][0]["from"], 1);
  EXPECT_EQ(h["history"][0]["to"], 3);
  EXPECT_EQ(h["history"][0]["reason"], "auc 0.93 > 0.91");
  EXPECT_TRUE(h["history"][1]["from"].is_null());
  EXPECT_EQ(h["history"][1]["reason"], "first");
  json e = GetError("/api/v1/models/churn/aliases/staging/history", 404);
  EXPECT_NE(e["message"].get<std::string>().find("no alias 'staging' (aliases: challenger, champion)"),
            std::string::npos);
  EXPECT_EQ(GetError("/api/v1/models/churn/aliases/champion/history?x=1", 400)["message"],
            "unknown parameter 'x': this route takes none");
}

}  // namespace
}  // namespace mlpipe::server
