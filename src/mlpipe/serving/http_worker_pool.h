// HttpWorkerPool: the transport's workers and the bounded queue of
// connections whose request waits for one (HttpTransport owns it). A worker
// takes a connection from the queue and runs HttpConnection::RunHandler,
// which may serve that connection's next requests too (it waits for them
// only while BeginWaitForNext allows). Internal to the transport; without
// Boost.
//
// Thread-safety: every method may be called from any thread, except Start
// and Close (the transport's Start and Shutdown thread).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace mlpipe::serving::internal {

class HttpConnection;

class HttpWorkerPool {
 public:
  // `threads` workers (at least 1); at most `max_queued` connections wait.
  HttpWorkerPool(int threads, size_t max_queued);
  ~HttpWorkerPool();  // Close()
  HttpWorkerPool(const HttpWorkerPool&) = delete;
  HttpWorkerPool& operator=(const HttpWorkerPool&) = delete;

  void Start();
  // The workers serve what is queued, then exit; joins them. Idempotent.
  void Close();

  // Queues a connection whose request was read whole; false when
  // max_queued wait already (the caller answers 503).
  bool Submit(std::shared_ptr<HttpConnection> c);
  // A worker may wait for its connection's next request while at least one
  // other worker does not (it is there for the queue): true if this one may
  // (then EndWaitForNext after the wait).
  bool BeginWaitForNext();
  void EndWaitForNext() { waiting_for_next_.fetch_sub(1, std::memory_order_relaxed); }

  int threads() const { return threads_; }
  size_t max_queued() const { return max_queued_; }
  int64_t queued() const { return queued_.load(std::memory_order_relaxed); }

 private:
  void WorkerLoop();

  const int threads_;
  const size_t max_queued_;
  std::atomic<int64_t> queued_{0};        // queue_.size(), readable without mu_
  std::atomic<int> waiting_for_next_{0};  // workers in HttpConnection's wait for a next request
  std::mutex mu_;
  std::condition_variable work_cv_;  // a connection was queued, or the pool closes
  std::deque<std::shared_ptr<HttpConnection>> queue_;
  bool closing_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace mlpipe::serving::internal
