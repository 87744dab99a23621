// PredictBatcher: joins the rows of concurrent requests into one model call.
//
// One XGBoost in-place prediction costs about as much in fixed work (parsing
// its JSON arguments, setting up the call) as predicting a few hundred rows,
// so under concurrent load one call for all waiting requests is cheaper than
// one call each. No request waits for others to arrive: a caller that finds
// the model idle predicts at once whatever is queued (its own rows at least);
// callers arriving meanwhile queue up, and the first of them to find the
// model idle again predicts them all together. At one connection this is the
// plain single-row path.
//
// Thread-safe. The predict function must be safe to call from any thread
// (it is called by one thread at a time per batcher).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::serving {

class PredictBatcher {
 public:
  // predict(features, rows, out): `rows` rows of `num_features` floats in,
  // `rows` rows of `num_outputs` floats out.
  using PredictFn = std::function<Status(const float* features, size_t rows, float* out)>;

  PredictBatcher(size_t num_features, size_t num_outputs, PredictFn predict, size_t max_batch_rows = 1024);

  // Predicts `rows` rows of features into `out`; may run them in one call
  // with other callers' rows. An error of a joint call is every member's.
  Status Predict(const float* features, size_t rows, float* out);

  // Model calls made and rows predicted so far (rows / calls is the mean batch).
  uint64_t calls() const { return calls_.load(std::memory_order_relaxed); }
  uint64_t rows() const { return rows_.load(std::memory_order_relaxed); }

 private:
  struct Pending {
    const float* features;
    size_t rows;
    float* out;
    Status status;
    bool done = false;
  };
  // Runs `batch` (taken from the queue) in one call; `mu_` is not held.
  Status RunBatch(const std::vector<Pending*>& batch);

  const size_t num_features_;
  const size_t num_outputs_;
  const PredictFn predict_;
  const size_t max_batch_rows_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool busy_ = false;  // a caller is predicting
  std::vector<Pending*> queue_;
  std::atomic<uint64_t> calls_{0}, rows_{0};
};

}  // namespace mlpipe::serving
