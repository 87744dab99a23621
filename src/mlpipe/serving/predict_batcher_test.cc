#include "mlpipe/serving/predict_batcher.h"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mlpipe/serving/oip_codec.h"
#include "mlpipe/serving/served_model.h"
#include "mlpipe/serving/test_fixture.h"

namespace mlpipe::serving {
namespace {

using namespace std::chrono_literals;

// A fake model: 2 features in, 1 output out (their sum); records the rows of
// each call and can hold the first call until released.
struct SumModel {
  std::atomic<int> calls{0};
  std::atomic<size_t> max_rows{0};
  std::atomic<bool> hold_first{false};
  std::atomic<bool> released{false};
  bool fail = false;
  Status operator()(const float* in, size_t rows, float* out) {
    if (calls.fetch_add(1) == 0) {
      while (hold_first && !released) std::this_thread::sleep_for(1ms);
    }
    size_t seen = max_rows.load();
    while (rows > seen && !max_rows.compare_exchange_weak(seen, rows)) {
    }
    if (fail) return InternalError("model broke");
    for (size_t r = 0; r < rows; ++r) out[r] = in[2 * r] + in[2 * r + 1];
    return OkStatus();
  }
};

PredictBatcher MakeBatcher(SumModel& m, size_t max_rows = 1024) {
  return PredictBatcher(2, 1, [&m](const float* in, size_t rows, float* out) { return m(in, rows, out); }, max_rows);
}

TEST(PredictBatcherTest, ALoneCallerPredictsAtOnce) {
  SumModel m;
  PredictBatcher b = MakeBatcher(m);
  float in[4] = {1, 2, 3, 4}, out[2] = {0, 0};
  ASSERT_TRUE(b.Predict(in, 2, out).ok());
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(out[1], 7);
  EXPECT_EQ(b.calls(), 1u);
  EXPECT_EQ(b.rows(), 2u);
}

// While one call runs, the callers that arrive are predicted together in the
// next call, each getting its own rows' answers.
TEST(PredictBatcherTest, CallersArrivingDuringACallShareTheNextOne) {
  SumModel m;
  m.hold_first = true;
  PredictBatcher b = MakeBatcher(m);
  float first_in[2] = {0, 1}, first_out[1] = {0};
  std::thread first([&] { EXPECT_TRUE(b.Predict(first_in, 1, first_out).ok()); });
  while (m.calls == 0) std::this_thread::sleep_for(1ms);
  constexpr int kCallers = 8;
  std::vector<std::thread> callers;
  std::vector<float> in(2 * kCallers), out(kCallers, -1);
  for (int i = 0; i < kCallers; ++i) {
    in[2 * i] = static_cast<float>(i);
    in[2 * i + 1] = 100;
    callers.emplace_back([&, i] { EXPECT_TRUE(b.Predict(&in[2 * i], 1, &out[i]).ok()); });
  }
  std::this_thread::sleep_for(300ms);  // let them queue behind the held call
  m.released = true;
  first.join();
  for (auto& t : callers) t.join();
  EXPECT_EQ(first_out[0], 1);
  for (int i = 0; i < kCallers; ++i) EXPECT_EQ(out[i], 100 + i) << i;
  EXPECT_LT(b.calls(), static_cast<uint64_t>(kCallers) + 1) << "no two callers shared a call";
  EXPECT_GT(m.max_rows.load(), 1u);
  EXPECT_EQ(b.rows(), static_cast<uint64_t>(kCallers) + 1);
}

TEST(PredictBatcherTest, ABatchHoldsAtMostMaxRowsButAtLeastOneCaller) {
  SumModel m;
  m.hold_first = true;
  PredictBatcher b = MakeBatcher(m, 2);
  float big_in[6] = {1, 1, 1, 1, 1, 1}, big_out[3];
  std::thread first([&] { EXPECT_TRUE(b.Predict(big_in, 3, big_out).ok()); });  // more than max: alone
  while (m.calls == 0) std::this_thread::sleep_for(1ms);
  std::vector<std::thread> callers;
  std::vector<float> in(10, 1), out(5);
  for (int i = 0; i < 5; ++i) callers.emplace_back([&, i] { EXPECT_TRUE(b.Predict(&in[2 * i], 1, &out[i]).ok()); });
  std::this_thread::sleep_for(200ms);
  m.released = true;
  first.join();
  for (auto& t : callers) t.join();
  EXPECT_EQ(m.max_rows.load(), 3u);  // the oversized caller, alone
  EXPECT_GE(b.calls(), 4u);          // 1 + at least ceil(5 / 2)
  for (float v : out) EXPECT_EQ(v, 2);
}

TEST(PredictBatcherTest, AFailedCallFailsEveryCallerInIt) {
  SumModel m;
  m.fail = true;
  PredictBatcher b = MakeBatcher(m);
  float in[2] = {1, 2}, out[1];
  Status s = b.Predict(in, 1, out);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "model broke");
}

// The real path: XGBoost, many threads, each answer equal to the model's own
// single-row prediction.
TEST(PredictBatcherTest, ConcurrentRequestsGetTheModelsOwnAnswers) {
  std::string dir = testing::TestDir();
  auto loaded = ml::LoadModelPackage(testing::MakePackage(dir, "p", 20), {.predict_threads = 1});
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  auto model = ServedModel::Make("1", "p", *loaded);
  data::Table table = testing::TrainingTable();
  const size_t rows = std::min<size_t>(table.num_rows(), 200);
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t r = t; r < rows; r += 4) {
        ParsedRequest req;
        req.rows = 1;
        req.columns = {{table.Find("x")->number(r)}, {std::string(table.Find("color")->str(r))}};
        auto got = PredictRows(*model, req);
        auto want = model->model().PredictRow({{"x", table.Find("x")->number(r)},
                                               {"color", std::string(table.Find("color")->str(r))}});
        if (!got.ok() || !want.ok() || (*got)[0].probabilities != want->probabilities ||
            (*got)[0].label != want->label) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(model->batcher().rows(), rows);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mlpipe::serving
