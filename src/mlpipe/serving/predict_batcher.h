// PredictBatcher: joins the rows of concurrent requests into one model call.
//
// One XGBoost in-place prediction costs about as much in fixed work (parsing
// its JSON arguments, setting up the call) as predicting a few hundred rows,
// and one request to a predictor worker costs a round trip and the worker's
// own per-call work (building a data frame), so under concurrent load one
// call for all waiting requests is cheaper than one call each. No request
// waits for others to arrive: a caller that finds a free call slot predicts
// at once whatever is queued (its own rows at least); callers arriving
// meanwhile queue up, and the first of them to find a slot free predicts them
// all together. At one connection this is the plain single-request path.
//
// Calls hold at most the predictor's max_batch_rows() rows (a larger request
// runs alone) and at most max_concurrent_runs() run at once (built-ins: one;
// a pool of N workers: N).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/ml/predictor.h"

namespace mlpipe::serving {

class PredictBatcher {
 public:
  // `predictor` is borrowed and must outlive the batcher.
  explicit PredictBatcher(const ml::Predictor& predictor);

  // Predicts `rows` (from predictor.Prepare) into `out` (rows.rows() *
  // num_outputs() floats); may run them in one call with other callers'
  // rows. An error of a joint call is every member's.
  Status Predict(const ml::PreparedRows& rows, float* out);

  // Model calls made and rows predicted so far (rows / calls is the mean batch).
  uint64_t calls() const { return calls_.load(std::memory_order_relaxed); }
  uint64_t rows() const { return rows_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    const ml::PreparedRows* rows;
    float* out;
    Status status;
    bool done = false;
  };
  // Runs `batch` (taken from the queue) in one call; `mu_` is not held.
  Status RunBatch(const std::vector<Pending*>& batch);

  const ml::Predictor& predictor_;
  const size_t num_outputs_;
  const size_t max_batch_rows_;
  const int max_running_;
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;  // callers predicting now
  std::vector<Pending*> queue_;
  std::atomic<uint64_t> calls_{0}, rows_{0};
};

}  // namespace mlpipe::serving
