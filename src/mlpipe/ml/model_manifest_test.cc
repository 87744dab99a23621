#include "mlpipe/ml/model_manifest.h"

#include <gtest/gtest.h>

namespace mlpipe::ml {
namespace {

using json = nlohmann::json;

json CommandManifestJson() {
  return json::parse(R"({"task": "binary", "target": "label",
    "features": [{"name": "x", "type": "numeric"}, {"name": "color", "type": "categorical"}],
    "class_labels": ["no", "yes"], "predictor": {"command": ["python3", "predict.py"]}})");
}

std::string ManifestErrorOf(const json& j) {
  auto m = ModelManifest::FromJson(j);
  EXPECT_FALSE(m.ok());
  return m.ok() ? "" : m.status().message();
}

TEST(ModelManifestTest, ACommandManifestNeedsLittle) {
  auto m = ModelManifest::FromJson(CommandManifestJson());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->is_command());
  EXPECT_EQ(m->predictor, kCommandPredictor);
  EXPECT_EQ(m->command.argv, (std::vector<std::string>{"python3", "predict.py"}));
  EXPECT_EQ(m->command.workers, 1);
  EXPECT_EQ(m->command.timeout_s, 30);
  EXPECT_EQ(m->positive_class, "yes");  // binary: the second class
  EXPECT_EQ(m->format_version, 1);
  // It round-trips.
  auto again = ModelManifest::FromJson(m->ToJson());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->ToJson(), m->ToJson());
}

TEST(ModelManifestTest, CommandOptions) {
  json j = CommandManifestJson();
  j["predictor"] =
      json::parse(R"({"command": ["./run.sh"], "workers": 4, "timeout": 2.5, "startup_timeout": 120,
                                   "max_batch_rows": 100, "env": {"OMP_NUM_THREADS": "1"}})");
  auto m = ModelManifest::FromJson(j);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->command.workers, 4);
  EXPECT_EQ(m->command.timeout_s, 2.5);
  EXPECT_EQ(m->command.startup_timeout_s, 120);
  EXPECT_EQ(m->command.max_batch_rows, 100);
  EXPECT_EQ(m->command.env.at("OMP_NUM_THREADS"), "1");
}

TEST(ModelManifestTest, ErrorsSayWhatToWrite) {
  json j = CommandManifestJson();
  j["predictor"] = json::parse(R"({"command": "python3 predict.py"})");
  EXPECT_NE(ManifestErrorOf(j).find(R"(like ["python3", "predict.py"])"), std::string::npos)
      << ManifestErrorOf(j);
  j["predictor"] = json::parse(R"({"command": ["python3"], "wokers": 2})");
  EXPECT_NE(ManifestErrorOf(j).find("unknown key predictor.wokers"), std::string::npos) << ManifestErrorOf(j);
  j["predictor"] = json::parse(R"({"command": ["python3"], "workers": 0})");
  EXPECT_NE(ManifestErrorOf(j).find("predictor.workers must be a whole number from 1 to 64"),
            std::string::npos);
  j["predictor"] = "sklearn";
  EXPECT_NE(ManifestErrorOf(j).find("unknown predictor 'sklearn'"), std::string::npos) << ManifestErrorOf(j);
  j = CommandManifestJson();
  j.erase("predictor");
  EXPECT_NE(ManifestErrorOf(j).find("'predictor' is missing"), std::string::npos);
  j = CommandManifestJson();
  j["class_labels"] = {"a", "b", "c"};
  EXPECT_NE(ManifestErrorOf(j).find("exactly 2 class_labels"), std::string::npos);
  j = CommandManifestJson();
  j["positive_class"] = "no";
  EXPECT_NE(ManifestErrorOf(j).find("positive_class 'no' must be the second of class_labels"),
            std::string::npos);
  j = CommandManifestJson();
  j["features"][0]["type"] = "float";
  EXPECT_NE(ManifestErrorOf(j).find("feature 'x' has type 'float': it must be numeric, categorical or date"),
            std::string::npos);
  j = CommandManifestJson();
  j["task"] = "regression";
  EXPECT_NE(ManifestErrorOf(j).find("a regression model has no class_labels"), std::string::npos);
  j = CommandManifestJson();
  j["format_version"] = 2;
  EXPECT_NE(ManifestErrorOf(j).find("format_version 2 is not supported"), std::string::npos);
  EXPECT_NE(ManifestErrorOf(json::array()).find("must hold a JSON object"), std::string::npos);
}

TEST(ModelManifestTest, BuiltInManifestsKeepTheirFormat) {
  json j = CommandManifestJson();
  j["predictor"] = "xgboost";
  j["model_file"] = "model.ubj";
  j["transform_file"] = "transform.json";
  j["format_version"] = 1;
  auto m = ModelManifest::FromJson(j);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_FALSE(m->is_command());
  EXPECT_EQ(m->ToJson()["predictor"], "xgboost");
  EXPECT_EQ(m->ToJson()["model_file"], "model.ubj");
  j.erase("model_file");
  EXPECT_NE(ManifestErrorOf(j).find("'model_file'"), std::string::npos);
}

}  // namespace
}  // namespace mlpipe::ml
