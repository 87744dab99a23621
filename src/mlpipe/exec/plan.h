// Plan: what is wanted, ready, running and done in one run (ninja's Plan).
//
// Pure logic, no I/O and no clock reads: times are passed in. The executor
// asks for Ready() jobs, reports each attempt's outcome, and the plan moves
// jobs between states, unlocking dependents and deciding retries, skips and
// cancellations. Every state change is queued as a Transition with a reason so
// the executor can tell observers what happened and why.
//
// Failure policy:
//  - fail-fast (default): after the first final failure nothing new starts.
//    Jobs downstream of the failure become skipped ("upstream X failed"),
//    every other job not yet started becomes cancelled ("run stopped: X
//    failed"); running jobs are left to finish. A job waiting for a retry is
//    cancelled too (it holds no process).
//  - keep_going: independent branches continue; only jobs downstream of the
//    failure are skipped ("upstream X failed", X = the job that failed).
// Stop(reason) (an interrupt) cancels every job that has not started.
//
// Not thread-safe; owned and driven by one executor loop.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "mlpipe/exec/job_graph.h"
#include "mlpipe/exec/job_state.h"

namespace mlpipe::exec {

// One state change, in the order it happened.
struct Transition {
  int job;
  JobState state;           // the new state
  std::string reason;       // why ("" for plain progress such as ready/running)
  int64_t retry_at_ns = 0;  // for kWaitingRetry: monotonic time of the retry
};

class Plan {
 public:
  // `graph` must be valid (ValidateJobGraph) and outlive the plan. Jobs without
  // dependencies start ready (queued as transitions).
  Plan(const JobGraph& graph, bool keep_going);

  // Ready jobs in index order (a deterministic schedule).
  std::vector<int> Ready() const { return {ready_.begin(), ready_.end()}; }
  // The first ready job after `job` in index order (-1: from the start), or
  // -1 if none: walks the ready jobs without copying them (a fan-out of
  // 10,000 has 10,000 ready at once).
  int NextReady(int job) const {
    auto it = ready_.upper_bound(job);
    return it == ready_.end() ? -1 : *it;
  }
  JobState state(int job) const { return jobs_[job].state; }
  // Why the job is in its state ("upstream prep failed", "exit 1", the cache reason...).
  const std::string& reason(int job) const { return jobs_[job].reason; }
  // Attempts begun so far (StartAttempt calls).
  int attempts(int job) const { return jobs_[job].attempts; }
  // True once no new job may start (after a fail-fast failure or Stop).
  bool stopping() const { return stopping_; }
  // True when every job is in a final state.
  bool Done() const { return final_count_ == jobs_.size(); }
  int running_count() const { return running_count_; }
  // Earliest retry time among jobs waiting for a retry, if any.
  std::optional<int64_t> NextRetryAt() const;

  // ready -> running. Returns the attempt number (1-based).
  int StartAttempt(int job);
  // running -> succeeded; dependents whose deps are all satisfied become ready.
  void Succeeded(int job);
  // ready|running -> cached (satisfied without running); unlocks like Succeeded.
  void Cached(int job, std::string reason);
  // A running attempt failed. If attempts remain and the run is not stopping,
  // running -> waiting-retry with retry at now + backoff*2^(attempt-1), and
  // returns true; otherwise behaves as Failed and returns false.
  bool AttemptFailed(int job, int64_t now_ns, std::string reason);
  // ready|running -> failed (final, no retry); applies the failure policy.
  void Failed(int job, std::string reason);
  // running -> cancelled (aborted by an interrupt); pending dependents are cancelled.
  void Cancelled(int job, std::string reason);
  // Waiting-retry jobs whose time has come (retry_at <= now) become ready.
  void PromoteDueRetries(int64_t now_ns);
  // No new job starts: pending, ready and waiting-retry jobs become cancelled.
  void Stop(const std::string& reason);

  // The transitions since the last call, oldest first.
  std::vector<Transition> TakeTransitions();

 private:
  struct JobInfo {
    JobState state = JobState::kPending;
    std::string reason;
    int attempts = 0;
    int unfinished_deps = 0;
    int64_t retry_at_ns = 0;
    std::vector<int> dependents;
  };

  void SetState(int job, JobState state, std::string reason, int64_t retry_at_ns = 0);
  void Unlock(int job);
  // Marks every not-yet-final job downstream of `job` as `state` with `reason`.
  void FinishDownstream(int job, JobState state, const std::string& reason);

  const JobGraph& graph_;
  bool keep_going_;
  bool stopping_ = false;
  std::vector<JobInfo> jobs_;
  std::set<int> ready_;
  size_t final_count_ = 0;
  int running_count_ = 0;
  int waiting_retry_count_ = 0;  // NextRetryAt and PromoteDueRetries scan the jobs only when it is not 0
  std::vector<Transition> transitions_;
};

// backoff_ns * 2^(attempt-1), saturating instead of overflowing.
int64_t RetryDelay(int64_t backoff_ns, int attempt);

}  // namespace mlpipe::exec
