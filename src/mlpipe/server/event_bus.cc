#include "mlpipe/server/event_bus.h"

#include <chrono>

#include "mlpipe/base/clock.h"

namespace mlpipe::server {

EventBus::EventBus(int64_t last_id, size_t capacity)
    : capacity_(capacity < 1 ? 1 : capacity), last_id_(last_id) {}

int64_t EventBus::Publish(metadata::ServerEvent event) {
  int64_t id;
  {
    std::lock_guard lock(mu_);
    id = ++last_id_;
    event.id = id;
    if (event.time_ns == 0) event.time_ns = RealClock().WallNanos();
    ring_.push_back(std::move(event));
    ++unstored_;
    if (ring_.size() > capacity_) {
      if (unstored_ > capacity_) {
        overflow_.push_back(std::move(ring_.front()));
        --unstored_;
      }
      ring_.pop_front();
    }
  }
  cv_.notify_all();
  return id;
}

std::vector<metadata::ServerEvent> EventBus::Wait(int64_t after_id, size_t limit, int64_t timeout_ns,
                                                  bool* behind) {
  std::unique_lock lock(mu_);
  *behind = false;
  if (last_id_ <= after_id && !closed_) {
    cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] { return closed_ || last_id_ > after_id; });
  }
  std::vector<metadata::ServerEvent> out;
  if (closed_ || ring_.empty() || last_id_ <= after_id) return out;
  const int64_t first = ring_.front().id;
  if (after_id + 1 < first) {
    *behind = true;
    return out;
  }
  for (size_t i = static_cast<size_t>(after_id + 1 - first); i < ring_.size() && out.size() < limit; ++i) {
    out.push_back(ring_[i]);
  }
  return out;
}

std::vector<metadata::ServerEvent> EventBus::TakeUnstored() {
  std::lock_guard lock(mu_);
  std::vector<metadata::ServerEvent> out = std::move(overflow_);
  overflow_.clear();
  for (size_t i = ring_.size() - unstored_; i < ring_.size(); ++i) out.push_back(ring_[i]);
  unstored_ = 0;
  return out;
}

int64_t EventBus::last_id() const {
  std::lock_guard lock(mu_);
  return last_id_;
}

void EventBus::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool EventBus::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

}  // namespace mlpipe::server
