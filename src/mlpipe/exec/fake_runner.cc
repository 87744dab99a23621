#include "mlpipe/exec/fake_runner.h"

#include <fmt/format.h>

#include <algorithm>

namespace mlpipe::exec {

const FakeAttempt& FakeRunner::AttemptFor(int job, int attempt) const {
  auto it = scripts_.find(job);
  if (it == scripts_.end() || it->second.empty()) return default_;
  size_t index = std::min<size_t>(static_cast<size_t>(attempt - 1), it->second.size() - 1);
  return it->second[index];
}

std::vector<int> FakeRunner::running_jobs() const {
  std::vector<int> out;
  for (const Running& r : running_) out.push_back(r.job);
  return out;
}

Status FakeRunner::Start(int job, const Command& command) {
  if (command.argv.empty()) return InvalidArgumentError(fmt::format("job {}: empty command", job));
  for (const Running& r : running_) {
    if (r.job == job) return InvalidArgumentError(fmt::format("job {} is already running", job));
  }
  int attempt = ++attempts_[job];
  int64_t now = clock_->MonotonicNanos();
  starts_.push_back(StartRecord{job, attempt, command, now});
  const FakeAttempt& script = AttemptFor(job, attempt);
  if (!script.spawn_error.empty()) {
    CommandResult result;
    result.exit_code = 127;
    result.error = script.spawn_error;
    done_.emplace_back(job, std::move(result));
    return OkStatus();
  }
  if (on_start_) on_start_(job, command);
  Running r{job, now, now + script.duration_ns, false, command.timeout_ns, script};
  if (command.timeout_ns > 0 && command.timeout_ns < script.duration_ns) {
    r.times_out = true;
    r.end_ns = now + command.timeout_ns;
  }
  running_.push_back(r);
  max_concurrent_ = std::max(max_concurrent_, running_.size());
  return OkStatus();
}

StatusOr<std::optional<std::pair<int, CommandResult>>> FakeRunner::Wait(int64_t deadline_mono_ns) {
  using Result = std::optional<std::pair<int, CommandResult>>;
  if (!done_.empty()) {
    auto front = std::move(done_.front());
    done_.pop_front();
    return Result(std::move(front));
  }
  int64_t now = clock_->MonotonicNanos();
  if (interrupt_at_ns_ <= now) return CancelledError("interrupted by SIGINT");
  // The earliest finisher; ties go to the one started first.
  auto next = std::min_element(running_.begin(), running_.end(),
                               [](const Running& a, const Running& b) { return a.end_ns < b.end_ns; });
  int64_t finish_at = next == running_.end() ? kNoDeadline : next->end_ns;
  int64_t event_at = std::min({finish_at, interrupt_at_ns_, deadline_mono_ns});
  if (event_at == kNoDeadline) return FailedPreconditionError("Wait with nothing running and no deadline");
  if (event_at > now) clock_->Advance(event_at - now);
  if (finish_at == event_at) {
    CommandResult result;
    result.wall_ns = next->end_ns - next->start_ns;
    result.cpu_ns = next->attempt.cpu_ns;
    result.max_rss_bytes = next->attempt.max_rss_bytes;
    result.timeout_ns = next->timeout_ns;
    if (next->times_out) {
      result.timed_out = true;
      result.term_signal = 15;  // SIGTERM, as LocalRunner's first signal
    } else {
      result.exit_code = next->attempt.term_signal != 0 ? -1 : next->attempt.exit_code;
      result.term_signal = next->attempt.term_signal;
    }
    int job = next->job;
    running_.erase(next);
    return Result(std::make_pair(job, std::move(result)));
  }
  if (interrupt_at_ns_ == event_at) return CancelledError("interrupted by SIGINT");
  return Result();
}

void FakeRunner::AbortAll() {
  ++abort_calls_;
  int64_t now = clock_->MonotonicNanos();
  for (const Running& r : running_) {
    CommandResult result;
    result.cancelled = true;
    result.term_signal = 15;
    result.wall_ns = now - r.start_ns;
    done_.emplace_back(r.job, std::move(result));
  }
  running_.clear();
}

}  // namespace mlpipe::exec
