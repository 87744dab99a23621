// FolderPrefetcher: makes a step's fresh folders ahead of time, on its own
// thread, while the step it waits for is still running; and removes the
// folders steps leave behind (their emptied work folders) on that thread too.
//
// Creating a step's folders and log files (five new inodes) took a few
// hundred microseconds per step on the executor's thread, and in a chain
// every one of them sat on the critical path: step k+1 could not start
// before they were made. StepDelegate asks for them when step k starts; by
// the time k finishes they are there, and Prepare only takes them.
//
// The folders are made by `make(job)` and, when they turn out unused (the
// step was reused from the cache, or never started), removed by
// `unmake(job)`: on Discard, and at destruction for anything made and never
// taken. Thread-safety: every method is thread-safe; make and unmake run on
// the prefetcher's thread (unmake also on the caller's, in Discard).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::engine {

class FolderPrefetcher {
 public:
  using FolderFn = std::function<Status(int job)>;
  FolderPrefetcher(int jobs, FolderFn make, FolderFn unmake);
  ~FolderPrefetcher();  // stops the thread, then unmakes what was made and never taken
  FolderPrefetcher(const FolderPrefetcher&) = delete;
  FolderPrefetcher& operator=(const FolderPrefetcher&) = delete;

  // Queues `job` (once; a job already requested, taken or discarded is ignored).
  void Request(int job);
  // True if `job`'s folders were made by the prefetcher (waits while they are
  // being made); false otherwise, and then they never will be: the caller
  // makes them itself.
  bool Take(int job);
  // The job will not use prefetched folders: unmakes them if they were made.
  void Discard(int job);
  // Removes `path` (a folder, recursively) on the thread, after any folders
  // already requested; whatever is pending when the prefetcher is destroyed
  // is removed then.
  void RemoveLater(std::string path);

  // Jobs made so far (tests).
  int made() const;

 private:
  enum class State { kNone, kQueued, kMaking, kMade, kFailed, kTaken };
  void Loop();

  const FolderFn make_, unmake_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::vector<State> state_;
  std::deque<int> queue_;
  std::deque<std::string> removals_;
  int made_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mlpipe::engine
