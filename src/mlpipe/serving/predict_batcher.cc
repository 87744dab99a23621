#include "mlpipe/serving/predict_batcher.h"

#include <algorithm>

namespace mlpipe::serving {

PredictBatcher::PredictBatcher(const ml::Predictor& predictor)
    : predictor_(predictor),
      num_outputs_(predictor.num_outputs()),
      max_batch_rows_(std::max<size_t>(1, predictor.max_batch_rows())),
      max_running_(std::max(1, predictor.max_concurrent_runs())) {}

Status PredictBatcher::Predict(const ml::PreparedRows& rows, float* out) {
  if (rows.rows() == 0) return OkStatus();
  Pending me{&rows, out, OkStatus()};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (running_ >= max_running_ || queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    // Lead: take the queue (up to max_batch_rows_, at least one caller).
    ++running_;
    std::vector<Pending*> batch;
    size_t total = 0;
    size_t taken = 0;
    while (taken < queue_.size() &&
           (batch.empty() || total + queue_[taken]->rows->rows() <= max_batch_rows_)) {
      total += queue_[taken]->rows->rows();
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
    --running_;
    cv_.notify_all();
  }
  return me.status;
}

Status PredictBatcher::RunBatch(const std::vector<Pending*>& batch) {
  size_t total = 0;
  for (const Pending* p : batch) total += p->rows->rows();
  calls_.fetch_add(1, std::memory_order_relaxed);
  rows_.fetch_add(total, std::memory_order_relaxed);
  if (batch.size() == 1)
    return predictor_.Run(std::span<const ml::PreparedRows* const>(&batch[0]->rows, 1), batch[0]->out);
  thread_local std::vector<const ml::PreparedRows*> parts;
  thread_local std::vector<float> out;
  parts.clear();
  for (const Pending* p : batch) parts.push_back(p->rows);
  out.resize(total * num_outputs_);
  RETURN_IF_ERROR(predictor_.Run(parts, out.data()));
  size_t row = 0;
  for (Pending* p : batch) {
    const size_t n = p->rows->rows();
    std::copy(out.begin() + row * num_outputs_, out.begin() + (row + n) * num_outputs_, p->out);
    row += n;
  }
  return OkStatus();
}

}  // namespace mlpipe::serving
