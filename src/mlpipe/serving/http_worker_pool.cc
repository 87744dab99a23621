#include "mlpipe/serving/http_worker_pool.h"

#include <utility>

#include "mlpipe/serving/http_connection.h"

namespace mlpipe::serving::internal {

HttpWorkerPool::HttpWorkerPool(int threads, size_t max_queued) : threads_(threads), max_queued_(max_queued) {}

HttpWorkerPool::~HttpWorkerPool() { Close(); }

void HttpWorkerPool::Start() {
  workers_.reserve(static_cast<size_t>(threads_));
  for (int i = 0; i < threads_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

void HttpWorkerPool::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) {
    if (t.joinable()) t.join();
  }
}

bool HttpWorkerPool::Submit(std::shared_ptr<HttpConnection> c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(c));
    queued_.store(static_cast<int64_t>(queue_.size()), std::memory_order_relaxed);
  }
  work_cv_.notify_one();
  return true;
}

void HttpWorkerPool::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (queue_.empty() && !closing_) {
      idle_.fetch_add(1, std::memory_order_relaxed);
      work_cv_.wait(lock, [&] { return !queue_.empty() || closing_; });
      idle_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (queue_.empty()) return;
    std::shared_ptr<HttpConnection> c = std::move(queue_.front());
    queue_.pop_front();
    queued_.store(static_cast<int64_t>(queue_.size()), std::memory_order_relaxed);
    lock.unlock();
    c->RunHandler();
    c.reset();
    lock.lock();
  }
}

}  // namespace mlpipe::serving::internal
