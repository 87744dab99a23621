// Clock: every read of time goes through one of these, so schedules, timeouts,
// backoff and canary windows can be tested without sleeping.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace mlpipe {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds; only differences are meaningful.
  virtual int64_t MonotonicNanos() const = 0;
  // Wall-clock nanoseconds since the Unix epoch (for records shown to people).
  virtual int64_t WallNanos() const = 0;
  // Blocks for `nanos` (a fake clock advances instead).
  virtual void SleepFor(int64_t nanos) = 0;
};

// "2026-12-06 16:13:30", in local time; "" for 0 or less. For people.
std::string FormatWallTime(int64_t wall_ns);
// "2026-12-06T16:13:30.123Z": RFC 3339 in UTC with milliseconds; "" for 0 or
// less. For machines (the server's JSON API).
std::string FormatRfc3339Utc(int64_t wall_ns);

// The process's real clock (CLOCK_MONOTONIC, CLOCK_REALTIME). Thread-safe.
Clock& RealClock();

// A clock that only moves when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_wall_nanos = 1'700'000'000'000'000'000) : wall_(start_wall_nanos) {}
  int64_t MonotonicNanos() const override;
  int64_t WallNanos() const override;
  // Advances both clocks.
  void SleepFor(int64_t nanos) override { Advance(nanos); }
  void Advance(int64_t nanos);

 private:
  mutable std::mutex mu_;
  int64_t mono_ = 0;
  int64_t wall_;
};

}  // namespace mlpipe
