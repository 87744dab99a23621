// FakeRunner: a CommandRunner whose commands "run" on a FakeClock.
//
// Each job has a script: one FakeAttempt per attempt (the last one repeats;
// jobs without a script use the default attempt). Wait() advances the clock
// straight to the next event (a command finishing, a timeout, a scripted
// interrupt, or the deadline), so executor tests with retries, backoff and
// timeouts run in microseconds. It also records what was started and the
// peak concurrency, for assertions.
//
// Not thread-safe. The clock must outlive the runner.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/exec/command_runner.h"

namespace mlpipe::exec {

struct FakeAttempt {
  int64_t duration_ns = 1'000'000'000;  // how long the command runs
  int exit_code = 0;
  int term_signal = 0;           // non-zero: the command dies from this signal
  std::string spawn_error = {};  // non-empty: the program cannot be started
  int64_t cpu_ns = 0;
  int64_t max_rss_bytes = 0;
};

class FakeRunner : public CommandRunner {
 public:
  struct StartRecord {
    int job;
    int attempt;  // 1-based, counted per job by this runner
    Command command = {};
    int64_t at_ns;
  };

  explicit FakeRunner(FakeClock* clock) : clock_(clock) {}

  // The attempts of `job`, in order; the last one repeats for further attempts.
  void Script(int job, std::vector<FakeAttempt> attempts) { scripts_[job] = std::move(attempts); }
  // Used by jobs without a script. Default: 1 s, exit 0.
  void SetDefault(FakeAttempt attempt) { default_ = std::move(attempt); }
  // Wait returns Cancelled once the clock reaches `at_ns` (until ClearInterrupt).
  void InterruptAt(int64_t at_ns) { interrupt_at_ns_ = at_ns; }
  void ClearInterrupt() { interrupt_at_ns_ = kNoDeadline; }
  // Called by Start with each command that is not a scripted spawn failure,
  // before it "runs": a test makes the command's effects there (the files it
  // would write), as ninja's build_test does for its fake commands.
  void OnStart(std::function<void(int job, const Command& command)> fn) { on_start_ = std::move(fn); }

  Status Start(int job, const Command& command) override;
  StatusOr<std::optional<std::pair<int, CommandResult>>> Wait(int64_t deadline_mono_ns) override;
  void AbortAll() override;
  size_t running() const override { return running_.size() + done_.size(); }

  const std::vector<StartRecord>& starts() const { return starts_; }
  // The most commands that were in flight at once.
  size_t max_concurrent() const { return max_concurrent_; }
  // Jobs currently in flight (started, not finished), in start order.
  std::vector<int> running_jobs() const;
  int abort_calls() const { return abort_calls_; }

 private:
  struct Running {
    int job;
    int64_t start_ns;
    int64_t end_ns;  // when it finishes (or times out)
    bool times_out;
    int64_t timeout_ns;
    FakeAttempt attempt;
  };
  const FakeAttempt& AttemptFor(int job, int attempt) const;

  FakeClock* clock_;
  std::function<void(int, const Command&)> on_start_;
  std::map<int, std::vector<FakeAttempt>> scripts_;
  FakeAttempt default_;
  int64_t interrupt_at_ns_ = kNoDeadline;
  std::map<int, int> attempts_;
  std::vector<Running> running_;
  std::deque<std::pair<int, CommandResult>> done_;
  std::vector<StartRecord> starts_;
  size_t max_concurrent_ = 0;
  int abort_calls_ = 0;
};

}  // namespace mlpipe::exec
