// The built-ins on a numeric 0/1 target, the split's rng and valid output,
// the transform's feature order and the logistic model's iteration cap.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "mlpipe/data/csv.h"
#include "mlpipe/ml/builtins.h"
#include "mlpipe/ml/test_data.h"

namespace mlpipe::ml {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class BuiltinTaskTest : public testing::TestDirFixture {
 protected:
  void SetUp() override {
    TestDirFixture::SetUp();
    // 400 rows: id, income, region (categorical), default 0/1.
    std::mt19937 rng(5);
    std::normal_distribution<double> normal(0, 1);
    const char* regions[] = {"north", "south", "east"};
    std::ofstream out(P("loans.csv"));
    out << "id,region,income,default\n";
    for (int i = 0; i < 400; ++i) {
      double income = normal(rng);
      int region = static_cast<int>(rng() % 3);
      bool bad = income + (region == 0 ? 0.7 : -0.3) + 0.6 * normal(rng) > 0.5;
      out << fmt::format("{},{},{:.3f},{}\n", i, regions[region], income, bad ? 1 : 0);
    }
  }

  std::string P(const std::string& name) const { return (dir_ / name).string(); }

  Status Run(const std::string& name, std::map<std::string, std::string> inputs,
             std::map<std::string, std::string> outputs, Json params = Json::object()) {
    log_.str("");
    return testing::RunBuiltinWith(name, std::move(inputs), std::move(outputs), std::move(params),
                                   P(name + ".metrics.jsonl"), &log_);
  }

  std::string FirstLogLine() const {
    std::string line;
    std::istringstream in(log_.str());
    std::getline(in, line);
    return line;
  }

  std::map<std::string, double> Metrics(const std::string& name) {
    std::map<std::string, double> out;
    std::ifstream in(P(name + ".metrics.jsonl"));
    for (std::string line; std::getline(in, line);) {
      Json m = Json::parse(line);
      out[m["name"].get<std::string>()] = m["value"].get<double>();
    }
    return out;
  }

  void Split() {
    Status s = Run("split", {{"data", P("loans.csv")}}, {{"train", P("train.csv")}, {"test", P("test.csv")}},
                   {{"method", "stratified"}, {"stratify_by", "default"}});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::ostringstream log_;
};

TEST_F(BuiltinTaskTest, ZeroOneTargetWithPositiveClassIsABinaryClassificationEverywhere) {
  Split();
  Status t = Run("transform", {{"train", P("train.csv")}}, {{"transform", P("transform.json")}},
                 {{"target", "default"}, {"positive_class", "1"}, {"exclude", {"id"}}});
  ASSERT_TRUE(t.ok()) << t.ToString();
  EXPECT_EQ(FirstLogLine(),
            "task: classification (positive_class '1' was given for the numeric target 'default')");
  Status tr = Run("train", {{"train", P("train.csv")}, {"transform", P("transform.json")}},
                  {{"model", P("model")}}, {{"rounds", 20}, {"nthread", 1}, {"positive_class", "1"}});
  ASSERT_TRUE(tr.ok()) << tr.ToString();
  Json manifest = Json::parse(std::ifstream(P("model/manifest.json")));
  EXPECT_EQ(manifest["task"], "binary");
  EXPECT_EQ(manifest["class_labels"], Json({"0", "1"}));
  EXPECT_EQ(manifest["positive_class"], "1");
  Status e = Run("evaluate", {{"model", P("model")}, {"test", P("test.csv")}},
                 {{"metrics", P("metrics.json")}, {"blessing", P("blessing.json")}});
  ASSERT_TRUE(e.ok()) << e.ToString();
  EXPECT_GT(Metrics("evaluate")["roc_auc"], 0.7);
  Status p =
      Run("predict", {{"model", P("model")}, {"data", P("test.csv")}}, {{"predictions", P("pred.csv")}});
  ASSERT_TRUE(p.ok()) << p.ToString();
  auto pred = data::ReadCsv(P("pred.csv"));
  ASSERT_TRUE(pred.ok());
  EXPECT_EQ(pred->ColumnNames(), (std::vector<std::string>{"id", "prediction", "prob_0", "prob_1"}));
  for (size_t r = 0; r < pred->num_rows(); ++r) {
    std::string label = pred->Find("prediction")->ValueToString(r);
    EXPECT_TRUE(label == "0" || label == "1") << label;
  }
}

TEST_F(BuiltinTaskTest, ZeroOneTargetUnderAutoWarnsFirstAndTrainRefusesAPositiveClass) {
  Split();
  Status t = Run("transform", {{"train", P("train.csv")}}, {{"transform", P("transform.json")}},
                 {{"target", "default"}, {"exclude", {"id"}}});
  ASSERT_TRUE(t.ok()) << t.ToString();
  EXPECT_EQ(
      FirstLogLine(),
      "warning: target 'default' is numeric with only 2 distinct values (0, 1): fitted as regression (task: "
      "auto); to train a classifier, set task: classification (or positive_class: \"1\") on the transform "
      "step");
  Status tr = Run("train", {{"train", P("train.csv")}, {"transform", P("transform.json")}},
                  {{"model", P("model")}}, {{"rounds", 5}, {"positive_class", "1"}});
  ASSERT_EQ(tr.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(tr.message().find(
                "positive_class '1' is set, but the transform fitted target 'default' as a regression"),
            std::string::npos)
      << tr.message();
  EXPECT_FALSE(fs::exists(P("model")));
}

TEST_F(BuiltinTaskTest, NoValidationFractionWritesNoValidOutput) {
  std::map<std::string, std::string> outputs = {
      {"train", P("train.csv")}, {"test", P("test.csv")}, {"valid", P("valid.csv")}};
  ASSERT_TRUE(Run("split", {{"data", P("loans.csv")}}, outputs).ok());
  EXPECT_TRUE(fs::exists(P("train.csv")));
  EXPECT_FALSE(fs::exists(P("valid.csv")));
  EXPECT_EQ(Metrics("split").count("valid_rows"), 0u);
  fs::remove(P("train.csv"));
  fs::remove(P("test.csv"));
  ASSERT_TRUE(Run("split", {{"data", P("loans.csv")}}, outputs, {{"valid_fraction", 0.1}}).ok());
  auto valid = data::ReadCsv(P("valid.csv"));
  ASSERT_TRUE(valid.ok());
  EXPECT_EQ(valid->num_rows(), 40u);
}

TEST_F(BuiltinTaskTest, SklearnRngWritesScikitLearnsRowsInItsOrder) {
  // The rows of train_test_split(df, test_size=0.2, random_state=42,
  // stratify=df.y) on these 32 rows (sklearn_split_test.cc says how they
  // were printed).
  std::ofstream out(P("letters.csv"));
  out << "id,y\n";
  const std::string labels = "aabbbcccccaaabbbbbbbbbccccccaaab";
  for (size_t i = 0; i < labels.size(); ++i) out << i << "," << labels[i] << "\n";
  out.close();
  Status s = Run("split", {{"data", P("letters.csv")}}, {{"train", P("train.csv")}, {"test", P("test.csv")}},
                 {{"method", "stratified"}, {"stratify_by", "y"}, {"rng", "sklearn"}, {"seed", 42}});
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto test = data::ReadCsv(P("test.csv"));
  ASSERT_TRUE(test.ok());
  std::vector<double> ids = test->Find("id")->numbers();
  EXPECT_EQ(ids, (std::vector<double>{29, 11, 4, 9, 16, 19, 6}));
}

TEST_F(BuiltinTaskTest, NumericFirstOrdersTheFittedFeatures) {
  Split();
  Status t = Run("transform", {{"train", P("train.csv")}}, {{"transform", P("transform.json")}},
                 {{"target", "default"},
                  {"positive_class", "1"},
                  {"exclude", {"id"}},
                  {"feature_order", "numeric_first"}});
  ASSERT_TRUE(t.ok()) << t.ToString();
  Json fitted = Json::parse(std::ifstream(P("transform.json")));
  EXPECT_EQ(fitted["feature_names"], Json({"income", "region=east", "region=north", "region=south"}));
  EXPECT_EQ(fitted["options"]["feature_order"], "numeric_first");
}

TEST_F(BuiltinTaskTest, MaxIterCapsTheLogisticRegression) {
  Split();
  ASSERT_TRUE(
      Run("transform", {{"train", P("train.csv")}}, {{"transform", P("transform.json")}},
          {{"target", "default"}, {"positive_class", "1"}, {"exclude", {"id"}}, {"standardize", true}})
          .ok());
  Status capped = Run("train", {{"train", P("train.csv")}, {"transform", P("transform.json")}},
                      {{"model", P("capped")}}, {{"model", "linear"}, {"max_iter", 2}});
  ASSERT_TRUE(capped.ok()) << capped.ToString();
  EXPECT_EQ(Metrics("train")["iterations"], 2);
  EXPECT_EQ(Metrics("train")["converged"], 0);
  EXPECT_NE(log_.str().find("before converging; raise max_iter"), std::string::npos) << log_.str();
  fs::remove(P("train.metrics.jsonl"));
  ASSERT_TRUE(Run("train", {{"train", P("train.csv")}, {"transform", P("transform.json")}},
                  {{"model", P("full")}}, {{"model", "linear"}})
                  .ok());
  EXPECT_GT(Metrics("train")["iterations"], 2);
  EXPECT_EQ(Metrics("train")["converged"], 1);
}

TEST_F(BuiltinTaskTest, BadParamsStopTheStepBeforeItReadsAnything) {
  Status s = Run("split", {{"data", P("absent.csv")}}, {{"train", P("a.csv")}, {"test", P("b.csv")}},
                 {{"method", "time"}, {"time_column", "t"}, {"rng", "sklearn"}});
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("rng 'sklearn' draws random or stratified rows"), std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().find("absent.csv"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace mlpipe::ml
