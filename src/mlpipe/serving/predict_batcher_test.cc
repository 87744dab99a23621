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

// A fake predictor: 2 numeric inputs, 1 output (their sum); records the
// rows of each call, can hold the first call until released, and lets
// `concurrent` calls run at once.
class SumPredictor : public ml::Predictor {
 public:
  explicit SumPredictor(size_t max_rows = 1024, int concurrent = 1)
      : max_rows_(max_rows), concurrent_(concurrent) {}
  mutable std::atomic<int> calls{0};
  mutable std::atomic<int> running{0};
  mutable std::atomic<int> max_running{0};
  mutable std::atomic<size_t> max_rows{0};
  std::atomic<bool> hold_first{false};
  std::atomic<bool> hold_all{false};
  std::atomic<bool> released{false};
  bool fail = false;

  size_t num_outputs() const override { return 1; }
  size_t max_batch_rows() const override { return max_rows_; }
  int max_concurrent_runs() const override { return concurrent_; }
  StatusOr<std::unique_ptr<ml::PreparedRows>> Prepare(const ml::InputColumns& columns,
                                                      size_t rows) const override {
    auto p = std::make_unique<Rows>(rows);
    for (size_t r = 0; r < rows; ++r) {
      p->values.push_back(static_cast<float>(std::get<double>(columns[0][r])));
      p->values.push_back(static_cast<float>(std::get<double>(columns[1][r])));
    }
    return std::unique_ptr<ml::PreparedRows>(std::move(p));
  }
  Status Run(std::span<const ml::PreparedRows* const> parts, float* out) const override {
    const int now = ++running;
    for (int seen = max_running.load(); now > seen && !max_running.compare_exchange_weak(seen, now);) {
    }
    if (calls.fetch_add(1) == 0 || hold_all) {
      while ((hold_first || hold_all) && !released) std::this_thread::sleep_for(1ms);
    }
    size_t rows = 0;
    for (const ml::PreparedRows* p : parts) {
      for (size_t r = 0; r < p->rows(); ++r) {
        const auto& v = static_cast<const Rows&>(*p).values;
        out[rows++] = v[2 * r] + v[2 * r + 1];
      }
    }
    for (size_t seen = max_rows.load(); rows > seen && !max_rows.compare_exchange_weak(seen, rows);) {
    }
    --running;
    if (fail) return InternalError("model broke");
    return OkStatus();
  }

 private:
  struct Rows : ml::PreparedRows {
    explicit Rows(size_t n) : PreparedRows(n) {}
    std::vector<float> values;
  };
  size_t max_rows_;
  int concurrent_;
};

// `n` rows of (a, b) as a predictor's input.
std::unique_ptr<ml::PreparedRows> Rows(const SumPredictor& m,
                                       const std::vector<std::pair<double, double>>& rows) {
  ml::InputColumns cols(2);
  for (const auto& [a, b] : rows) {
    cols[0].emplace_back(a);
    cols[1].emplace_back(b);
  }
  return m.Prepare(cols, rows.size()).value();
}

TEST(PredictBatcherTest, ALoneCallerPredictsAtOnce) {
  SumPredictor m;
  PredictBatcher b(m);
  float out[2] = {0, 0};
  ASSERT_TRUE(b.Predict(*Rows(m, {{1, 2}, {3, 4}}), out).ok());
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(out[1], 7);
  EXPECT_EQ(b.calls(), 1u);
  EXPECT_EQ(b.rows(), 2u);
}

// While one call runs, the callers that arrive are predicted together in the
// next call, each getting its own rows' answers.
TEST(PredictBatcherTest, CallersArrivingDuringACallShareTheNextOne) {
  SumPredictor m;
  m.hold_first = true;
  PredictBatcher b(m);
  float first_out[1] = {0};
  auto first_in = Rows(m, {{0, 1}});
  std::thread first([&] { EXPECT_TRUE(b.Predict(*first_in, first_out).ok()); });
  while (m.calls == 0) std::this_thread::sleep_for(1ms);
  constexpr int kCallers = 8;
  std::vector<std::thread> callers;
  std::vector<std::unique_ptr<ml::PreparedRows>> in;
  std::vector<float> out(kCallers, -1);
  for (int i = 0; i < kCallers; ++i) in.push_back(Rows(m, {{static_cast<double>(i), 100}}));
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] { EXPECT_TRUE(b.Predict(*in[i], &out[i]).ok()); });
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
  SumPredictor m(2);
  m.hold_first = true;
  PredictBatcher b(m);
  float big_out[3];
  auto big_in = Rows(m, {{1, 1}, {1, 1}, {1, 1}});
  std::thread first([&] { EXPECT_TRUE(b.Predict(*big_in, big_out).ok()); });  // more than max: alone
  while (m.calls == 0) std::this_thread::sleep_for(1ms);
  std::vector<std::thread> callers;
  std::vector<std::unique_ptr<ml::PreparedRows>> in;
  std::vector<float> out(5);
  for (int i = 0; i < 5; ++i) in.push_back(Rows(m, {{1, 1}}));
  for (int i = 0; i < 5; ++i) callers.emplace_back([&, i] { EXPECT_TRUE(b.Predict(*in[i], &out[i]).ok()); });
  std::this_thread::sleep_for(200ms);
  m.released = true;
  first.join();
  for (auto& t : callers) t.join();
  EXPECT_EQ(m.max_rows.load(), 3u);  // the oversized caller, alone
  EXPECT_GE(b.calls(), 4u);          // 1 + at least ceil(5 / 2)
  for (float v : out) EXPECT_EQ(v, 2);
}

TEST(PredictBatcherTest, AFailedCallFailsEveryCallerInIt) {
  SumPredictor m;
  m.fail = true;
  PredictBatcher b(m);
  float out[1];
  Status s = b.Predict(*Rows(m, {{1, 2}}), out);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message(), "model broke");
}

// A predictor that runs N calls at once (a pool of N workers) gets up to N
// concurrent calls from the batcher, never more.
TEST(PredictBatcherTest, RunsAsManyCallsAtOnceAsThePredictorAllows) {
  SumPredictor m(1024, 2);
  m.hold_all = true;
  PredictBatcher b(m);
  constexpr int kCallers = 6;
  std::vector<std::unique_ptr<ml::PreparedRows>> in;
  std::vector<float> out(kCallers, -1);
  for (int i = 0; i < kCallers; ++i) in.push_back(Rows(m, {{static_cast<double>(i), 1}}));
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i)
    callers.emplace_back([&, i] { EXPECT_TRUE(b.Predict(*in[i], &out[i]).ok()); });
  while (m.running < 2) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(100ms);  // a third call would start now if it could
  EXPECT_EQ(m.running.load(), 2);
  m.released = true;
  for (auto& t : callers) t.join();
  EXPECT_EQ(m.max_running.load(), 2);
  for (int i = 0; i < kCallers; ++i) EXPECT_EQ(out[i], i + 1) << i;
}

// The real path: XGBoost, many threads, each answer equal to the model's own
// single-row prediction.
TEST(PredictBatcherTest, ConcurrentRequestsGetTheModelsOwnAnswers) {
  std::string dir = testing::TestDir();
  ml::LoadOptions options;
  options.predict_threads = 1;
  auto loaded = ml::LoadModelPackage(testing::MakePackage(dir, "p", 20), options);
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
