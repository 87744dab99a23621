#include "mlpipe/base/clock.h"

#include <ctime>
#include <thread>

namespace mlpipe {
namespace {

int64_t ReadClock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

class RealClockImpl : public Clock {
 public:
  int64_t MonotonicNanos() const override { return ReadClock(CLOCK_MONOTONIC); }
  int64_t WallNanos() const override { return ReadClock(CLOCK_REALTIME); }
  void SleepFor(int64_t nanos) override { std::this_thread::sleep_for(std::chrono::nanoseconds(nanos)); }
};

}  // namespace

std::string FormatWallTime(int64_t wall_ns) {
  if (wall_ns <= 0) return "";
  time_t secs = static_cast<time_t>(wall_ns / 1'000'000'000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

Clock& RealClock() {
  static RealClockImpl clock;
  return clock;
}

int64_t FakeClock::MonotonicNanos() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mono_;
}

int64_t FakeClock::WallNanos() const {
  std::lock_guard<std::mutex> lock(mu_);
  return wall_;
}

void FakeClock::Advance(int64_t nanos) {
  std::lock_guard<std::mutex> lock(mu_);
  mono_ += nanos;
  wall_ += nanos;
}

}  // namespace mlpipe
