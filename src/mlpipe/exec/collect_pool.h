// CollectPool: runs JobDelegate::Collect of finished commands on worker
// threads, so storing one job's outputs (hashing, fsync) overlaps with other
// jobs' processes and with each other (concurrent fsyncs share the
// filesystem's journal commits). The executor submits a job when its command
// exits 0 and takes finished collections back on its own thread; the pool
// wakes the runner's Wait() after each one.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/exec/command_runner.h"

namespace mlpipe::exec {

struct Collected {
  int job = -1;
  int attempt = 0;
  CommandResult result;
  Status status;
  bool ran = true;  // false: dropped from the queue by CancelQueued()
};

class CollectPool {
 public:
  using CollectFn = std::function<Status(int job, int attempt, const CommandResult&)>;
  // `threads` workers (>= 1) call `collect`; `on_done` is called (on the
  // worker) after each result is queued.
  CollectPool(int threads, CollectFn collect, std::function<void()> on_done);
  ~CollectPool();  // finishes what runs, drops what waits, joins
  CollectPool(const CollectPool&) = delete;
  CollectPool& operator=(const CollectPool&) = delete;

  void Submit(int job, int attempt, CommandResult result);
  // Finished collections, in completion order.
  std::vector<Collected> TakeDone();
  // Submitted and not yet taken back.
  int pending() const;
  // Removes the jobs that have not started collecting; they come back from
  // TakeDone with ran = false.
  void CancelQueued();
  // Blocks until every submitted job has finished (or was cancelled).
  void WaitIdle();

 private:
  void Work();

  CollectFn collect_;
  std::function<void()> on_done_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, idle_cv_;
  std::deque<Collected> queue_;
  std::vector<Collected> done_;
  int pending_ = 0;  // queued + running + done not taken
  int running_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace mlpipe::exec
