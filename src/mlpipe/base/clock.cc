#include "mlpipe/base/clock.h"

#include <cstdio>
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

// The seconds of `wall_ns` as strftime's `format` writes them, in UTC or local time.
std::string FormatSeconds(int64_t wall_ns, bool utc, const char* format) {
  time_t secs = static_cast<time_t>(wall_ns / 1'000'000'000);
  struct tm tm {};
  utc ? gmtime_r(&secs, &tm) : localtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), format, &tm);
  return buf;
}

}  // namespace

std::string FormatWallTime(int64_t wall_ns) {
  if (wall_ns <= 0) return "";
  return FormatSeconds(wall_ns, false, "%Y-%m-%d %H:%M:%S");
}

std::string FormatRfc3339Utc(int64_t wall_ns) {
  if (wall_ns <= 0) return "";
  char millis[8];
  snprintf(millis, sizeof(millis), ".%03dZ", static_cast<int>(wall_ns / 1'000'000 % 1000));
  return FormatSeconds(wall_ns, true, "%Y-%m-%dT%H:%M:%S") + millis;
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
