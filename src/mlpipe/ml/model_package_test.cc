#include "mlpipe/ml/model_package.h"

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/ml/metrics.h"
#include "mlpipe/ml/test_data.h"

namespace mlpipe::ml {
namespace {

namespace fs = std::filesystem;

// 400 rows: id, x (numeric), color (categorical), label yes/no depending on both.
std::string MakeCsv() {
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0, 1);
  const char* colors[] = {"red", "green", "blue"};
  std::string csv = "id,x,color,label\n";
  for (int i = 0; i < 400; ++i) {
    double x = normal(rng);
    int c = static_cast<int>(rng() % 3);
    bool yes = x + (c == 0 ? 1.0 : -0.5) + 0.3 * normal(rng) > 0;
    csv += fmt::format("{},{},{},{}\n", i, x, colors[c], yes ? "yes" : "no");
  }
  return csv;
}

class ModelPackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::FreshTestDir("mlpipe_pkg_test_");
    auto t = data::ReadCsvString(MakeCsv());
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    table_ = std::move(t).value();
    data::TransformOptions opt;
    opt.target = "label";
    opt.exclude = {"id"};
    opt.positive_class = "yes";
    auto tr = data::Transform::Fit(table_, opt);
    ASSERT_TRUE(tr.ok()) << tr.status().ToString();
    transform_ = std::make_unique<data::Transform>(std::move(tr).value());
    auto x = transform_->Apply(table_);
    auto y = transform_->EncodeLabels(table_);
    ASSERT_TRUE(x.ok() && y.ok());
    x_ = std::move(x).value();
    y_ = std::move(y).value();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string SaveXgboost(const std::string& name) {
    XgboostParams p;
    p.rounds = 10;
    p.nthread = 1;
    auto m = XgboostModel::Train(x_, y_, Task::kBinary, p);
    EXPECT_TRUE(m.ok());
    data::Schema schema = data::InferSchema(table_);
    data::TableStats stats = data::ComputeStats(table_);
    ModelPackageContents c;
    c.task = Task::kBinary;
    c.transform = transform_.get();
    c.xgboost = m->get();
    c.schema = &schema;
    c.stats = &stats;
    c.created_by = "test";
    std::string path = (dir_ / name).string();
    Status s = SaveModelPackage(path, c);
    EXPECT_TRUE(s.ok()) << s.ToString();
    direct_ = m->get()->Predict(x_).value();
    return path;
  }

  fs::path dir_;
  data::Table table_;
  std::unique_ptr<data::Transform> transform_;
  data::FeatureMatrix x_;
  data::Labels y_;
  Predictions direct_;
};

TEST_F(ModelPackageTest, XgboostPackageRoundTripsAndPredictsLikeTheModel) {
  std::string path = SaveXgboost("pkg");
  EXPECT_TRUE(fs::exists(fs::path(path) / "manifest.json"));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  auto loaded = LoadModelPackage(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const LoadedModel& m = **loaded;
  EXPECT_EQ(m.manifest().predictor, "xgboost");
  EXPECT_EQ(m.manifest().model_file, kXgboostModelFile);
  EXPECT_TRUE(fs::exists(fs::path(path) / kXgboostModelFile));
  EXPECT_EQ(m.manifest().task, Task::kBinary);
  EXPECT_EQ(m.manifest().target, "label");
  EXPECT_EQ(m.manifest().positive_class, "yes");
  EXPECT_EQ(m.manifest().class_labels, (std::vector<std::string>{"no", "yes"}));
  ASSERT_EQ(m.manifest().features.size(), 2u);
  EXPECT_EQ(m.manifest().features[1].name, "color");
  EXPECT_EQ(m.manifest().features[1].type, "categorical");
  ASSERT_NE(m.schema(), nullptr);
  ASSERT_NE(m.stats(), nullptr);
  auto p = m.Predict(table_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->values, direct_.values);
  auto labels = m.Labels(*p);
  ASSERT_EQ(labels.size(), 400u);
  // The single-row path gives the batch answer.
  for (size_t r = 0; r < 20; ++r) {
    std::vector<std::pair<std::string, data::FieldValue>> row = {
        {"x", table_.Find("x")->number(r)}, {"color", std::string(table_.Find("color")->str(r))}};
    auto rp = m.PredictRow(row);
    ASSERT_TRUE(rp.ok()) << rp.status().ToString();
    EXPECT_EQ(rp->label, labels[r]);
    ASSERT_EQ(rp->probabilities.size(), 2u);
    EXPECT_FLOAT_EQ(rp->probabilities[1], p->prob(r, 1));
  }
}

TEST_F(ModelPackageTest, LoadingWithoutStatsSkipsOnlyTheStatistics) {
  std::string path = SaveXgboost("pkg");
  // A damaged stats.json shows whether the file is read at all.
  { std::ofstream(fs::path(path) / "stats.json") << "{ not json"; }
  EXPECT_EQ(LoadModelPackage(path).status().code(), StatusCode::kDataLoss);
  auto loaded = LoadModelPackage(path, {.predict_threads = 1, .stats = false});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->stats(), nullptr);
  ASSERT_NE((*loaded)->schema(), nullptr);
  auto p = (*loaded)->Predict(table_);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->values, direct_.values);
}

TEST_F(ModelPackageTest, LinearPackageRoundTrips) {
  auto m = LinearModel::Train(x_, y_, Task::kBinary, {});
  ASSERT_TRUE(m.ok());
  ModelPackageContents c;
  c.task = Task::kBinary;
  c.transform = transform_.get();
  c.linear = m->get();
  std::string path = (dir_ / "lin").string();
  ASSERT_TRUE(SaveModelPackage(path, c).ok());
  auto loaded = LoadModelPackage(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->manifest().predictor, "linear");
  EXPECT_EQ((*loaded)->manifest().model_file, kLinearModelFile);
  EXPECT_EQ((*loaded)->schema(), nullptr);
  EXPECT_EQ((*loaded)->Predict(table_)->values, (*m)->Predict(x_)->values);
  EXPECT_GT(Accuracy(std::vector<int>(y_.y.begin(), y_.y.end()), (*loaded)->Predict(table_)->PredictedClasses()), 0.8);
}

TEST_F(ModelPackageTest, ConcurrentRowPredictionsAgree) {
  auto loaded = LoadModelPackage(SaveXgboost("pkg"));
  ASSERT_TRUE(loaded.ok());
  std::shared_ptr<const LoadedModel> m = *loaded;
  std::vector<int> bad(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t r = 0; r < 200; ++r) {
        auto rp = m->PredictRow({{"x", table_.Find("x")->number(r)}, {"color", std::string(table_.Find("color")->str(r))}});
        if (!rp.ok() || rp->probabilities[1] != direct_.prob(r, 1)) ++bad[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(bad[t], 0);
}

TEST_F(ModelPackageTest, ErrorsAreClear) {
  std::string path = SaveXgboost("pkg");
  ModelPackageContents c;
  c.task = Task::kBinary;
  c.transform = transform_.get();
  auto m = LinearModel::Train(x_, y_, Task::kBinary, {});
  c.linear = m->get();
  EXPECT_EQ(SaveModelPackage(path, c).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(LoadModelPackage((dir_ / "nope").string()).status().code(), StatusCode::kNotFound);
  // Unsupported format version.
  fs::copy(path, dir_ / "v2", fs::copy_options::recursive);
  nlohmann::json mj = nlohmann::json::parse(std::ifstream(dir_ / "v2" / "manifest.json"));
  mj["format_version"] = 2;
  std::ofstream(dir_ / "v2" / "manifest.json") << mj.dump();
  auto v2 = LoadModelPackage((dir_ / "v2").string());
  EXPECT_EQ(v2.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v2.status().message().find("format_version 2"), std::string::npos) << v2.status().message();
  // A damaged model file.
  fs::copy(path, dir_ / "broken", fs::copy_options::recursive);
  std::ofstream(dir_ / "broken" / kXgboostModelFile) << "{garbage";
  EXPECT_EQ(LoadModelPackage((dir_ / "broken").string()).status().code(), StatusCode::kDataLoss);
  // A missing feature column in the table to predict.
  auto loaded = LoadModelPackage(path);
  ASSERT_TRUE(loaded.ok());
  data::Table no_color = table_;
  ASSERT_TRUE(no_color.RemoveColumn("color").ok());
  EXPECT_EQ((*loaded)->Predict(no_color).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlpipe::ml
