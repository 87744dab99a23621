#include "mlpipe/ml/linear_model.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "mlpipe/ml/metrics.h"
#include "mlpipe/ml/test_data.h"

namespace mlpipe::ml {
namespace {

namespace fs = std::filesystem;

// The small problem below, solved by scikit-learn 1.2 (LogisticRegression,
// Ridge) with tol=1e-10: reference coefficients.
testing::Dataset Tiny(std::vector<float> y, size_t k) {
  testing::Dataset d;
  d.x.rows = 6;
  d.x.cols = 2;
  d.x.values = {0, 1, 1, 0, 2, 2, 3, 1, 1, 3, 0, 0};
  d.x.feature_names = {"a", "b"};
  d.y.y = std::move(y);
  for (size_t c = 0; c < k; ++c) d.y.class_labels.push_back(std::to_string(c));
  return d;
}

TEST(LinearModelTest, BinaryLogisticMatchesScikitLearn) {
  auto d = Tiny({0, 0, 1, 1, 1, 0}, 2);
  auto m = LinearModel::Train(d.x, d.y, Task::kBinary, LinearParams{});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_NEAR((*m)->coef(0)[0], 0.89671323, 1e-6);
  EXPECT_NEAR((*m)->coef(0)[1], 0.89671323, 1e-6);
  EXPECT_NEAR((*m)->intercept(0), -2.11958067, 1e-6);
}

TEST(LinearModelTest, MultinomialLogisticMatchesScikitLearn) {
  auto d = Tiny({0, 1, 2, 2, 1, 0}, 3);
  LinearParams p;
  p.c = 0.5;
  auto m = LinearModel::Train(d.x, d.y, Task::kMulticlass, p);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const double want_coef[3][2] = {{-0.5710776, -0.24353656}, {-0.08270839, 0.14470883}, {0.65378599, 0.09882773}};
  const double want_b[3] = {0.86844358, 0.06937362, -0.9378172};
  // scikit-learn's own solution still has a gradient of ~3e-5 (its L-BFGS
  // stops on a relative decrease), ours is tighter: compare to 2e-5.
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_NEAR((*m)->coef(c)[0], want_coef[c][0], 2e-5) << c;
    EXPECT_NEAR((*m)->coef(c)[1], want_coef[c][1], 2e-5) << c;
    EXPECT_NEAR((*m)->intercept(c), want_b[c], 2e-5) << c;
  }
  auto pred = (*m)->Predict(d.x);
  ASSERT_TRUE(pred.ok());
  for (size_t r = 0; r < 6; ++r) EXPECT_NEAR(pred->prob(r, 0) + pred->prob(r, 1) + pred->prob(r, 2), 1.0, 1e-6);
}

TEST(LinearModelTest, RidgeMatchesScikitLearnAndOlsFitsExactly) {
  auto d = Tiny({1, 2, 3.5f, 4, 3, 0.2f}, 0);
  auto m = LinearModel::Train(d.x, d.y, Task::kRegression, LinearParams{});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_NEAR((*m)->coef(0)[0], 0.92413793, 1e-6);
  EXPECT_NEAR((*m)->coef(0)[1], 0.42413793, 1e-6);
  EXPECT_NEAR((*m)->intercept(0), 0.71034483, 1e-6);
  // y = 2a - b + 1 exactly: least squares recovers it.
  d.y.y.clear();
  for (size_t r = 0; r < 6; ++r) d.y.y.push_back(2 * d.x.at(r, 0) - d.x.at(r, 1) + 1);
  LinearParams ols;
  ols.alpha = 0;
  auto o = LinearModel::Train(d.x, d.y, Task::kRegression, ols);
  ASSERT_TRUE(o.ok());
  EXPECT_NEAR((*o)->coef(0)[0], 2, 1e-9);
  EXPECT_NEAR((*o)->coef(0)[1], -1, 1e-9);
  EXPECT_NEAR((*o)->intercept(0), 1, 1e-9);
}

TEST(LinearModelTest, LearnsSyntheticProblemsDeterministically) {
  auto train = testing::MakeDataset(3000, 6, 2, 21), test = testing::MakeDataset(500, 6, 2, 22);
  auto a = LinearModel::Train(train.x, train.y, Task::kBinary, {});
  auto b = LinearModel::Train(train.x, train.y, Task::kBinary, {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->ToJson(), (*b)->ToJson());
  auto p = (*a)->Predict(test.x);
  std::vector<int> y(test.y.y.begin(), test.y.y.end());
  EXPECT_GT(Accuracy(y, p->PredictedClasses()), 0.9);
}

TEST(LinearModelTest, RejectsNaNFeaturesAndBadParams) {
  auto d = Tiny({0, 0, 1, 1, 1, 0}, 2);
  d.x.values[3] = std::numeric_limits<float>::quiet_NaN();
  auto m = LinearModel::Train(d.x, d.y, Task::kBinary, {});
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("'b'"), std::string::npos) << m.status().message();
  auto ok = Tiny({0, 0, 1, 1, 1, 0}, 2);
  LinearParams bad;
  bad.c = 0;
  EXPECT_EQ(LinearModel::Train(ok.x, ok.y, Task::kBinary, bad).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LinearModel::Train(ok.x, ok.y, Task::kMulticlass, {}).status().code(), StatusCode::kOk);
  ok.y.class_labels = {"only"};
  EXPECT_EQ(LinearModel::Train(ok.x, ok.y, Task::kBinary, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(LinearModelTest, SaveLoadRoundTripsAndRejectsDamagedFiles) {
  auto train = testing::MakeDataset(500, 4, 3, 23);
  auto m = LinearModel::Train(train.x, train.y, Task::kMulticlass, {});
  ASSERT_TRUE(m.ok());
  fs::path dir = fs::temp_directory_path() / ("mlpipe_linear_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "model.json").string();
  ASSERT_TRUE((*m)->Save(path).ok());
  auto loaded = LinearModel::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->Predict(train.x)->values, (*m)->Predict(train.x)->values);
  EXPECT_EQ(LinearModel::Load((dir / "none.json").string()).status().code(), StatusCode::kNotFound);
  std::ofstream(dir / "bad.json") << R"({"format": "mlpipe.linear", "version": 1, "task": "binary"})";
  auto bad = LinearModel::Load((dir / "bad.json").string());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("num_features"), std::string::npos) << bad.status().message();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace mlpipe::ml
