#include "mlpipe/exec/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <limits>

namespace mlpipe::exec {

int64_t RetryDelay(int64_t backoff_ns, int attempt) {
  if (backoff_ns <= 0) return 0;
  int shift = std::clamp(attempt - 1, 0, 62);
  if (backoff_ns > (std::numeric_limits<int64_t>::max() >> shift)) return std::numeric_limits<int64_t>::max();
  return backoff_ns << shift;
}

Plan::Plan(const JobGraph& graph, bool keep_going)
    : graph_(graph), keep_going_(keep_going), jobs_(graph.jobs.size()) {
  for (size_t i = 0; i < graph.jobs.size(); ++i) {
    for (int d : graph.jobs[i].deps) {
      jobs_[d].dependents.push_back(static_cast<int>(i));
      ++jobs_[i].unfinished_deps;
    }
  }
  for (size_t i = 0; i < jobs_.size(); ++i) {
    if (jobs_[i].unfinished_deps == 0) SetState(static_cast<int>(i), JobState::kReady, "");
  }
}

std::optional<int64_t> Plan::NextRetryAt() const {
  std::optional<int64_t> next;
  if (waiting_retry_count_ == 0) return next;
  for (const JobInfo& info : jobs_) {
    if (info.state == JobState::kWaitingRetry && (!next || info.retry_at_ns < *next)) next = info.retry_at_ns;
  }
  return next;
}

void Plan::SetState(int job, JobState state, std::string reason, int64_t retry_at_ns) {
  JobInfo& info = jobs_[job];
  assert(!IsFinal(info.state));
  if (info.state == JobState::kReady) ready_.erase(job);
  if (info.state == JobState::kRunning) --running_count_;
  if (info.state == JobState::kWaitingRetry) --waiting_retry_count_;
  if (state == JobState::kWaitingRetry) ++waiting_retry_count_;
  info.state = state;
  info.reason = reason;
  info.retry_at_ns = retry_at_ns;
  if (state == JobState::kReady) ready_.insert(job);
  if (state == JobState::kRunning) ++running_count_;
  if (IsFinal(state)) ++final_count_;
  transitions_.push_back(Transition{job, state, std::move(reason), retry_at_ns});
}

int Plan::StartAttempt(int job) {
  assert(jobs_[job].state == JobState::kReady);
  ++jobs_[job].attempts;
  SetState(job, JobState::kRunning, "");
  return jobs_[job].attempts;
}

void Plan::Unlock(int job) {
  for (int d : jobs_[job].dependents) {
    JobInfo& dep = jobs_[d];
    if (--dep.unfinished_deps == 0 && dep.state == JobState::kPending) SetState(d, JobState::kReady, "");
  }
}

void Plan::Succeeded(int job) {
  assert(jobs_[job].state == JobState::kRunning);
  SetState(job, JobState::kSucceeded, "");
  Unlock(job);
}

void Plan::Cached(int job, std::string reason) {
  assert(jobs_[job].state == JobState::kRunning || jobs_[job].state == JobState::kReady);
  SetState(job, JobState::kCached, std::move(reason));
  Unlock(job);
}

bool Plan::AttemptFailed(int job, int64_t now_ns, std::string reason) {
  const JobInfo& info = jobs_[job];
  assert(info.state == JobState::kRunning);
  const JobSpec& spec = graph_.jobs[job];
  if (!stopping_ && info.attempts < std::max(1, spec.max_attempts)) {
    int64_t delay = RetryDelay(spec.backoff_ns, info.attempts);
    int64_t at = now_ns > std::numeric_limits<int64_t>::max() - delay ? std::numeric_limits<int64_t>::max()
                                                                      : now_ns + delay;
    SetState(job, JobState::kWaitingRetry, std::move(reason), at);
    return true;
  }
  Failed(job, std::move(reason));
  return false;
}

void Plan::FinishDownstream(int job, JobState state, const std::string& reason) {
  std::vector<int> stack(jobs_[job].dependents.begin(), jobs_[job].dependents.end());
  // Visit in index order for deterministic transitions.
  std::sort(stack.rbegin(), stack.rend());
  while (!stack.empty()) {
    int d = stack.back();
    stack.pop_back();
    if (IsFinal(jobs_[d].state)) continue;
    // A job downstream of an unfinished job can only be pending.
    SetState(d, state, reason);
    std::vector<int> next(jobs_[d].dependents.begin(), jobs_[d].dependents.end());
    std::sort(next.rbegin(), next.rend());
    stack.insert(stack.end(), next.begin(), next.end());
  }
}

void Plan::Failed(int job, std::string reason) {
  assert(jobs_[job].state == JobState::kRunning || jobs_[job].state == JobState::kReady ||
         jobs_[job].state == JobState::kWaitingRetry);
  const std::string& name = graph_.jobs[job].name;
  SetState(job, JobState::kFailed, std::move(reason));
  FinishDownstream(job, JobState::kSkipped, fmt::format("upstream {} failed", name));
  if (!keep_going_ && !stopping_) Stop(fmt::format("run stopped: {} failed", name));
}

void Plan::Cancelled(int job, std::string reason) {
  assert(jobs_[job].state == JobState::kRunning);
  std::string downstream = fmt::format("upstream {} was cancelled", graph_.jobs[job].name);
  SetState(job, JobState::kCancelled, std::move(reason));
  FinishDownstream(job, JobState::kCancelled, downstream);
}

void Plan::PromoteDueRetries(int64_t now_ns) {
  for (size_t i = 0; i < jobs_.size() && waiting_retry_count_ > 0; ++i) {
    if (jobs_[i].state == JobState::kWaitingRetry && jobs_[i].retry_at_ns <= now_ns) {
      SetState(static_cast<int>(i), JobState::kReady, "");
    }
  }
}

void Plan::Stop(const std::string& reason) {
  stopping_ = true;
  for (size_t i = 0; i < jobs_.size(); ++i) {
    JobState s = jobs_[i].state;
    if (s == JobState::kPending || s == JobState::kReady || s == JobState::kWaitingRetry) {
      SetState(static_cast<int>(i), JobState::kCancelled, reason);
    }
  }
}

std::vector<Transition> Plan::TakeTransitions() {
  std::vector<Transition> out;
  out.swap(transitions_);
  return out;
}

}  // namespace mlpipe::exec
