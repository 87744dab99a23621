#include "mlpipe/serving/predict_batcher.h"

#include <algorithm>

namespace mlpipe::serving {

PredictBatcher::PredictBatcher(size_t num_features, size_t num_outputs, PredictFn predict, size_t max_batch_rows)
    : num_features_(num_features),
      num_outputs_(num_outputs),
      predict_(std::move(predict)),
      max_batch_rows_(std::max<size_t>(1, max_batch_rows)) {}

Status PredictBatcher::Predict(const float* features, size_t rows, float* out) {
  if (rows == 0) return OkStatus();
  Pending me{features, rows, out, OkStatus()};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (busy_) {
      cv_.wait(lock);
      continue;
    }
    // Lead: take the queue (up to max_batch_rows_, at least one caller).
    busy_ = true;
    std::vector<Pending*> batch;
    size_t total = 0;
    size_t taken = 0;
    while (taken < queue_.size() && (batch.empty() || total + queue_[taken]->rows <= max_batch_rows_)) {
      total += queue_[taken]->rows;
      batch.push_back(queue_[taken++]);
    }
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(taken));
    lock.unlock();
    Status s = RunBatch(batch);
    lock.lock();
    for (Pending* p : batch) {
      p->status = s;
      p->done = true;
    }
    busy_ = false;
    cv_.notify_all();
  }
  return me.status;
}

Status PredictBatcher::RunBatch(const std::vector<Pending*>& batch) {
  size_t total = 0;
  for (const Pending* p : batch) total += p->rows;
  calls_.fetch_add(1, std::memory_order_relaxed);
  rows_.fetch_add(total, std::memory_order_relaxed);
  if (batch.size() == 1) return predict_(batch[0]->features, batch[0]->rows, batch[0]->out);
  thread_local std::vector<float> in, out;
  in.resize(total * num_features_);
  out.resize(total * num_outputs_);
  size_t row = 0;
  for (const Pending* p : batch) {
    std::copy(p->features, p->features + p->rows * num_features_, in.begin() + row * num_features_);
    row += p->rows;
  }
  RETURN_IF_ERROR(predict_(in.data(), total, out.data()));
  row = 0;
  for (Pending* p : batch) {
    std::copy(out.begin() + row * num_outputs_, out.begin() + (row + p->rows) * num_outputs_, p->out);
    row += p->rows;
  }
  return OkStatus();
}

}  // namespace mlpipe::serving
