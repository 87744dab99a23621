#include "mlpipe/ml/booster_pool.h"

#include <xgboost/c_api.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "mlpipe/ml/test_data.h"
#include "mlpipe/ml/xgboost_model.h"

namespace mlpipe::ml {
namespace {

namespace fs = std::filesystem;
using testing::MakeDataset;

// A trained model saved to `path`, and what it predicts for `x`.
struct Saved {
  std::string path;
  data::FeatureMatrix x;
  std::vector<float> want;
  Task task;
  size_t classes;
};

Saved TrainAndSave(const fs::path& dir, const char* name, Task task, size_t cols, size_t k, uint32_t seed) {
  auto train = MakeDataset(600, cols, k, seed), test = MakeDataset(50, cols, k, seed + 1);
  XgboostParams p;
  p.rounds = 15;
  p.max_depth = 4;
  p.nthread = 1;
  auto m = XgboostModel::Train(train.x, train.y, task, p);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  Saved s{(dir / name).string(), test.x, {}, task, task == Task::kRegression ? 0 : k};
  EXPECT_TRUE((*m)->Save(s.path).ok());
  s.want = (*m)->Predict(test.x)->values;
  return s;
}

// Every row through PredictRow (the serving path, which uses XGBoost's per-thread entries).
std::vector<float> PredictRows(const XgboostModel& m, const data::FeatureMatrix& x) {
  std::vector<float> out(x.rows * m.num_outputs());
  for (size_t r = 0; r < x.rows; ++r) {
    EXPECT_TRUE(m.PredictRow(&x.values[r * x.cols], &out[r * m.num_outputs()]).ok());
  }
  return out;
}

class BoosterPoolTest : public testing::TestDirFixture {};

TEST_F(BoosterPoolTest, AFreedLoadedModelsHandleServesTheNextLoadWithOnlyTheNewModelInIt) {
  // Three models that differ in task, classes and features: nothing of one may survive into the next.
  Saved a = TrainAndSave(dir_, "a.ubj", Task::kBinary, 5, 2, 1);
  Saved b = TrainAndSave(dir_, "b.ubj", Task::kMulticlass, 7, 3, 3);
  Saved c = TrainAndSave(dir_, "c.json", Task::kRegression, 4, 0, 5);
  BoosterPool& pool = BoosterPool::Global();
  auto loaded_a = XgboostModel::Load(a.path, a.task, a.classes, 5);
  ASSERT_TRUE(loaded_a.ok()) << loaded_a.status().ToString();
  EXPECT_EQ((*loaded_a)->Predict(a.x)->values, a.want);
  // Predict on several threads, as a server's workers do: each gets XGBoost's per-thread entry.
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back([&] { PredictRows(**loaded_a, a.x); });
  for (auto& th : threads) th.join();
  threads.clear();

  const size_t kept = pool.kept();
  loaded_a->reset();  // freed: its handle goes back to the pool
  EXPECT_EQ(pool.kept(), kept + 1);
  const uint64_t reused = pool.reused();
  auto loaded_b = XgboostModel::Load(b.path, b.task, b.classes, 7);
  ASSERT_TRUE(loaded_b.ok()) << loaded_b.status().ToString();
  EXPECT_EQ(pool.reused(), reused + 1);
  EXPECT_EQ(pool.kept(), kept);
  EXPECT_EQ((*loaded_b)->num_features(), 7u);
  EXPECT_EQ((*loaded_b)->Predict(b.x)->values, b.want);
  // The threads that predicted with the handle's earlier model get the new model's answers.
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      std::vector<float> got = PredictRows(**loaded_b, b.x);
      for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], b.want[i]) << i;
    });
  }
  for (auto& th : threads) th.join();

  loaded_b->reset();
  auto loaded_c = XgboostModel::Load(c.path, c.task, c.classes, 4);
  ASSERT_TRUE(loaded_c.ok()) << loaded_c.status().ToString();
  EXPECT_EQ(pool.reused(), reused + 2);
  EXPECT_EQ((*loaded_c)->num_outputs(), 1u);
  EXPECT_EQ((*loaded_c)->Predict(c.x)->values, c.want);
  std::vector<float> rows = PredictRows(**loaded_c, c.x);
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_FLOAT_EQ(rows[i], c.want[i]) << i;
}

TEST_F(BoosterPoolTest, AHandleWhoseLoadFailedIsFreedNotKept) {
  Saved a = TrainAndSave(dir_, "a.ubj", Task::kBinary, 5, 2, 7);
  std::ofstream(dir_ / "junk.json") << "{not a model";
  BoosterPool& pool = BoosterPool::Global();
  for (int i = 0; i < 2; ++i) {
    auto m = XgboostModel::Load(a.path, a.task, a.classes, 5);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
  }  // freed: at least one handle kept
  ASSERT_GE(pool.kept(), 1u);
  size_t kept = pool.kept();
  EXPECT_EQ(XgboostModel::Load((dir_ / "junk.json").string(), Task::kBinary, 2, 5).status().code(),
            StatusCode::kDataLoss);
  EXPECT_EQ(pool.kept(), kept - 1);  // taken for the load, then freed
  kept = pool.kept();
  // Loaded, but not what the package says (9 features): freed too.
  EXPECT_EQ(XgboostModel::Load(a.path, a.task, a.classes, 9).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(pool.kept(), kept == 0 ? 0 : kept - 1);
  auto again = XgboostModel::Load(a.path, a.task, a.classes, 5);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->Predict(a.x)->values, a.want);
}

TEST(BoosterPool, KeepsAtMostItsCapacityAndHandsOutTheLastGivenFirst) {
  BoosterPool pool(2);
  BoosterHandle h[3];
  for (auto& handle : h) ASSERT_EQ(XGBoosterCreate(nullptr, 0, &handle), 0);
  EXPECT_EQ(pool.Take(), nullptr);
  pool.Give(h[0]);
  pool.Give(h[1]);
  pool.Give(h[2]);  // over capacity: freed
  EXPECT_EQ(pool.kept(), 2u);
  EXPECT_EQ(pool.Take(), h[1]);
  EXPECT_EQ(pool.Take(), h[0]);
  EXPECT_EQ(pool.Take(), nullptr);
  EXPECT_EQ(pool.reused(), 2u);
  pool.Give(h[0]);  // the pool frees what it keeps when it goes
  XGBoosterFree(h[1]);
}

}  // namespace
}  // namespace mlpipe::ml
