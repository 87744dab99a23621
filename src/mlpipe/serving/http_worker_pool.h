// HttpWorkerPool: the transport's workers and the bounded queue of
// connections whose request waits for one (HttpTransport owns it). A worker
// takes a connection from the queue and runs HttpConnection::RunHandler,
// which may serve that connection's next requests too (it waits for them
// only while MayWaitForNext says so). Internal to the transport; without
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
  // A worker may wait for its connection's next request while another
  // worker is idle, there for the queue. A read, not a reservation: two
  // workers may both see the last idle one, and then a queued request waits
  // for the first of them to finish its wait (a few milliseconds at most).
  // No atomic write on a request's path: workers on other cores would fight
  // over its cache line.
  bool MayWaitForNext() const { return idle_.load(std::memory_order_relaxed) > 0; }

  int threads() const { return threads_; }
  size_t max_queued() const { return max_queued_; }
  int64_t queued() const { return queued_.load(std::memory_order_relaxed); }

 private:
  void WorkerLoop();

  const int threads_;
  const size_t max_queued_;
  std::atomic<int64_t> queued_{0};         // queue_.size(), readable without mu_
  std::atomic<int> idle_{0};               // workers waiting for the queue (changed under mu_)
  std::mutex mu_;
  std::condition_variable work_cv_;  // a connection was queued, or the pool closes
  std::deque<std::shared_ptr<HttpConnection>> queue_;
  bool closing_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace mlpipe::serving::internal
