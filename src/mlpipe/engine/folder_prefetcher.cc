#include "mlpipe/engine/folder_prefetcher.h"

#include <filesystem>

namespace mlpipe::engine {

FolderPrefetcher::FolderPrefetcher(int jobs, FolderFn make, FolderFn unmake)
    : make_(std::move(make)), unmake_(std::move(unmake)), state_(static_cast<size_t>(jobs), State::kNone) {
  thread_ = std::thread([this] { Loop(); });
}

FolderPrefetcher::~FolderPrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
  for (const std::string& path : removals_) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  for (size_t job = 0; job < state_.size(); ++job) {
    if (state_[job] == State::kMade) (void)unmake_(static_cast<int>(job));
  }
}

void FolderPrefetcher::Request(int job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (job < 0 || static_cast<size_t>(job) >= state_.size() || state_[job] != State::kNone || stop_) return;
    state_[job] = State::kQueued;
    queue_.push_back(job);
  }
  work_cv_.notify_one();
}

bool FolderPrefetcher::Take(int job) {
  std::unique_lock<std::mutex> lock(mu_);
  if (job < 0 || static_cast<size_t>(job) >= state_.size()) return false;
  done_cv_.wait(lock, [&] { return state_[job] != State::kMaking; });
  const bool made = state_[job] == State::kMade;
  state_[job] = State::kTaken;  // a queued job is skipped by the thread
  return made;
}

void FolderPrefetcher::Discard(int job) {
  if (Take(job)) (void)unmake_(job);
}

void FolderPrefetcher::RemoveLater(std::string path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    removals_.push_back(std::move(path));
  }
  work_cv_.notify_one();
}

int FolderPrefetcher::made() const {
  std::lock_guard<std::mutex> lock(mu_);
  return made_;
}

void FolderPrefetcher::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || !queue_.empty() || !removals_.empty(); });
    if (stop_) return;
    if (queue_.empty()) {  // folders to make come first: a step may be waiting for them
      std::string path = std::move(removals_.front());
      removals_.pop_front();
      lock.unlock();
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
      lock.lock();
      continue;
    }
    const int job = queue_.front();
    queue_.pop_front();
    if (state_[job] != State::kQueued) continue;  // taken before its turn
    state_[job] = State::kMaking;
    lock.unlock();
    const bool ok = make_(job).ok();
    lock.lock();
    state_[job] = ok ? State::kMade : State::kFailed;
    if (ok) ++made_;
    done_cv_.notify_all();
  }
}

}  // namespace mlpipe::engine
