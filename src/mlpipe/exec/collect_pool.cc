#include "mlpipe/exec/collect_pool.h"

#include <algorithm>

namespace mlpipe::exec {

CollectPool::CollectPool(int threads, CollectFn collect, std::function<void()> on_done)
    : collect_(std::move(collect)), on_done_(std::move(on_done)) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Work(); });
}

CollectPool::~CollectPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    queue_.clear();
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void CollectPool::Submit(int job, int attempt, CommandResult result) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Collected{job, attempt, std::move(result), OkStatus(), true});
    ++pending_;
  }
  work_cv_.notify_one();
}

std::vector<Collected> CollectPool::TakeDone() {
  std::lock_guard lock(mu_);
  std::vector<Collected> out;
  out.swap(done_);
  pending_ -= static_cast<int>(out.size());
  return out;
}

int CollectPool::pending() const {
  std::lock_guard lock(mu_);
  return pending_;
}

void CollectPool::CancelQueued() {
  std::lock_guard lock(mu_);
  for (auto& c : queue_) {
    c.ran = false;
    c.status = CancelledError("cancelled before its outputs were stored");
    done_.push_back(std::move(c));
  }
  queue_.clear();
  idle_cv_.notify_all();
}

void CollectPool::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
}

void CollectPool::Work() {
  for (;;) {
    Collected c;
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      c = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    c.status = collect_(c.job, c.attempt, c.result);
    {
      std::lock_guard lock(mu_);
      done_.push_back(std::move(c));
      --running_;
      if (queue_.empty() && running_ == 0) idle_cv_.notify_all();
    }
    on_done_();
  }
}

}  // namespace mlpipe::exec
