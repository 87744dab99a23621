#include "mlpipe/exec/executor.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "mlpipe/exec/collect_pool.h"
#include "mlpipe/exec/plan.h"

namespace mlpipe::exec {

std::string_view JobEventKindName(JobEvent::Kind kind) {
  switch (kind) {
    case JobEvent::Kind::kReady:
      return "ready";
    case JobEvent::Kind::kStarted:
      return "started";
    case JobEvent::Kind::kRetrying:
      return "retrying";
    case JobEvent::Kind::kSucceeded:
      return "succeeded";
    case JobEvent::Kind::kFailed:
      return "failed";
    case JobEvent::Kind::kCached:
      return "cached";
    case JobEvent::Kind::kSkipped:
      return "skipped";
    case JobEvent::Kind::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

namespace {

// The state of one Run() call.
class RunLoop {
 public:
  RunLoop(const ExecutorOptions& options, int parallelism, const JobGraph& graph, JobDelegate& delegate,
          CommandRunner& runner, ExecObserver* observer)
      : options_(options),
        clock_(options.clock != nullptr ? *options.clock : RealClock()),
        parallelism_(parallelism),
        graph_(graph),
        delegate_(delegate),
        runner_(runner),
        observer_(observer),
        plan_(graph, options.keep_going),
        free_slots_(parallelism),
        free_memory_(options.memory_budget_bytes),
        held_(graph.jobs.size()) {
    outcome_.jobs.resize(graph.jobs.size());
    if (delegate_.HasCollect() && options_.collect_threads > 0) {
      pool_ = std::make_unique<CollectPool>(
          options_.collect_threads,
          [this](int job, int attempt, const CommandResult& r) { return delegate_.Collect(job, attempt, r); },
          [this] { runner_.Wake(); });
    }
  }

  RunOutcome Execute() {
    int64_t start = clock_.MonotonicNanos();
    if (observer_ != nullptr) observer_->OnRunStarted(graph_);
    Emit();
    bool ticking = observer_ != nullptr && options_.tick_interval_ns > 0;
    int64_t next_tick = ticking ? start + options_.tick_interval_ns : kNoDeadline;
    while (!plan_.Done()) {
      if (!plan_.stopping()) {
        plan_.PromoteDueRetries(clock_.MonotonicNanos());
        StartWhatFits();
        Emit();
        if (plan_.Done()) break;
      }
      std::optional<int64_t> retry_at = plan_.NextRetryAt();
      const bool collecting = Collecting() > 0;
      if (runner_.running() == 0 && !retry_at && !collecting) {
        // Cannot happen with clamped capacity; never spin or hang if it does.
        outcome_.error = fmt::format("internal error: {} jobs left but nothing can run", Remaining());
        Abort(outcome_.error);
        break;
      }
      int64_t deadline = std::min(retry_at.value_or(kNoDeadline), next_tick);
      // Workers wake Wait(); the bound is a safety net for a runner without Wake.
      if (collecting) deadline = std::min(deadline, clock_.MonotonicNanos() + kCollectPollNs);
      const bool pending_work = delegate_.HasPendingWork();
      if (pending_work) deadline = std::min(deadline, clock_.MonotonicNanos() + options_.idle_flush_ns);
      auto waited = runner_.Wait(deadline);
      int64_t now = clock_.MonotonicNanos();
      if (ticking && now >= next_tick) {
        observer_->OnTick(now);
        next_tick = now + options_.tick_interval_ns;
      }
      if (!waited.ok()) {
        if (waited.status().code() == StatusCode::kCancelled) {
          outcome_.interrupted = true;
          Abort(waited.status().message());
        } else {
          outcome_.error = waited.status().ToString();
          Abort(fmt::format("runner failed: {}", waited.status().message()));
        }
        break;
      }
      const bool got_result = waited->has_value();
      if (got_result) HandleResult((*waited)->first, std::move((*waited)->second));
      const bool got_collected = TakeCollected() > 0;
      // Nothing came within the idle bound: make the batched work durable now.
      if (pending_work && !got_result && !got_collected) delegate_.FlushPendingWork();
      Emit();
    }
    outcome_.ok = outcome_.error.empty() && !outcome_.interrupted &&
                  std::all_of(outcome_.jobs.begin(), outcome_.jobs.end(),
                              [](const JobOutcome& j) { return IsSatisfied(j.state); });
    outcome_.wall_ns = clock_.MonotonicNanos() - start;
    if (observer_ != nullptr) observer_->OnRunFinished(outcome_);
    return std::move(outcome_);
  }

 private:
  struct Held {
    int slots = 0;
    int64_t memory = 0;
  };

  static constexpr int64_t kCollectPollNs = 50'000'000;

  int Collecting() const { return pool_ ? pool_->pending() : 0; }

  size_t Remaining() const {
    size_t n = 0;
    for (size_t i = 0; i < graph_.jobs.size(); ++i) n += IsFinal(plan_.state(static_cast<int>(i))) ? 0 : 1;
    return n;
  }

  // Starts ready jobs in index order while capacity allows. Cached jobs can
  // make more jobs ready at once, so it repeats until nothing changes. Every
  // job takes a slot, so with none free it looks at nothing: a fan-out of
  // 10,000 keeps thousands ready for most of the run, and scanning them all
  // after every finished job made the run quadratic.
  void StartWhatFits() {
    bool unlocked = true;
    while (unlocked && !plan_.stopping()) {
      unlocked = false;
      for (int job = plan_.NextReady(-1); job >= 0 && free_slots_ > 0; job = plan_.NextReady(job)) {
        if (plan_.stopping()) return;
        if (TryStart(job)) unlocked = true;
      }
    }
  }

  // Starts (or caches, or fails) `job` if it fits. Returns true if it was
  // cached, i.e. its dependents may have become ready.
  bool TryStart(int job) {
    const JobSpec& spec = graph_.jobs[job];
    Held need;
    need.slots = std::clamp(spec.slots, 1, parallelism_);
    if (options_.memory_budget_bytes > 0) {
      need.memory = std::clamp<int64_t>(spec.memory_bytes, 0, options_.memory_budget_bytes);
    }
    if (need.slots > free_slots_ || need.memory > free_memory_) return false;  // smaller ones may still fit
    int attempt = plan_.StartAttempt(job);
    StatusOr<JobLaunch> launch = delegate_.Prepare(job, attempt);
    if (!launch.ok()) {
      plan_.Failed(job, launch.status().message());
      return false;
    }
    if (launch->kind == JobLaunch::kSatisfied) {
      plan_.Cached(job, launch->reason);
      return true;
    }
    Command& command = launch->command;
    if (command.timeout_ns == 0) command.timeout_ns = spec.timeout_ns;
    if (command.cpus == 0) command.cpus = spec.slots;
    if (command.memory_bytes == 0) command.memory_bytes = spec.memory_bytes;
    if (command.name.empty()) command.name = spec.name;
    Status started = runner_.Start(job, command);
    if (!started.ok()) {
      plan_.Failed(job, started.message());
      return false;
    }
    held_[job] = need;
    free_slots_ -= need.slots;
    free_memory_ -= need.memory;
    Emit();
    if (observer_ != nullptr) {
      JobEvent event;
      event.kind = JobEvent::Kind::kStarted;
      event.job = job;
      event.attempt = attempt;
      event.command = &command;
      observer_->OnEvent(event);
    }
    return false;
  }

  void Release(int job) {
    free_slots_ += held_[job].slots;
    free_memory_ += held_[job].memory;
    held_[job] = Held{};
  }

  void HandleResult(int job, CommandResult result) {
    Release(job);
    JobOutcome& out = outcome_.jobs[job];
    out.wall_ns += result.wall_ns;
    out.result = std::move(result);
    if (plan_.state(job) != JobState::kRunning) return;  // not ours; ignore
    const CommandResult& r = out.result;
    int attempt = plan_.attempts(job);
    if (r.cancelled) {
      plan_.Cancelled(job, "cancelled");
      return;
    }
    if (!r.ok()) {
      AttemptFailed(job, attempt, r.Describe());
      return;
    }
    if (pool_ != nullptr && delegate_.CollectOnWorker(job)) {
      pool_->Submit(job, attempt, r);  // the job stays running until TakeCollected
      return;
    }
    Status collected = delegate_.HasCollect() ? delegate_.Collect(job, attempt, r) : OkStatus();
    FinishCollected(job, attempt, collected);
  }

  // The second half of a successful command: Finish() after Collect().
  void FinishCollected(int job, int attempt, const Status& collected) {
    if (plan_.state(job) != JobState::kRunning) return;
    Status finished = collected.ok() ? delegate_.Finish(job, attempt, outcome_.jobs[job].result) : collected;
    if (finished.ok()) {
      plan_.Succeeded(job);
      return;
    }
    AttemptFailed(job, attempt, finished.message());
  }

  void AttemptFailed(int job, int attempt, const std::string& reason) {
    const std::string note = delegate_.FailureNote(job, reason);
    const std::string why = note.empty() ? reason : fmt::format("{}; {}", reason, note);
    bool will_retry = plan_.AttemptFailed(job, clock_.MonotonicNanos(), why);
    delegate_.AttemptFailed(job, attempt, outcome_.jobs[job].result, why, will_retry);
  }

  // Finishes the jobs whose Collect() is done (executor thread). Returns how many.
  int TakeCollected() {
    if (pool_ == nullptr) return 0;
    std::vector<Collected> done = pool_->TakeDone();
    for (Collected& c : done) {
      if (!c.ran) {
        if (plan_.state(c.job) == JobState::kRunning) plan_.Cancelled(c.job, c.status.message());
        continue;
      }
      FinishCollected(c.job, c.attempt, c.status);
    }
    return static_cast<int>(done.size());
  }

  // Stops the run: nothing new starts, running commands are killed and their
  // jobs end cancelled with `reason`.
  void Abort(const std::string& reason) {
    plan_.Stop(reason);
    Emit();
    runner_.AbortAll();
    while (runner_.running() > 0) {
      auto waited = runner_.Wait(kNoDeadline);
      if (!waited.ok() || !waited->has_value()) break;
      auto& [job, result] = **waited;
      Release(job);
      outcome_.jobs[job].wall_ns += result.wall_ns;
      outcome_.jobs[job].result = std::move(result);
      if (plan_.state(job) == JobState::kRunning) plan_.Cancelled(job, reason);
    }
    // Collections under way finish (their jobs succeed: the work is done);
    // queued ones are dropped.
    if (pool_ != nullptr) {
      pool_->CancelQueued();
      pool_->WaitIdle();
      TakeCollected();
    }
    // Anything the runner lost track of still has to end.
    for (size_t i = 0; i < graph_.jobs.size(); ++i) {
      if (plan_.state(static_cast<int>(i)) == JobState::kRunning)
        plan_.Cancelled(static_cast<int>(i), reason);
    }
    Emit();
  }

  // Records plan transitions in the outcome and tells the observer.
  void Emit() {
    for (Transition& t : plan_.TakeTransitions()) {
      JobOutcome& out = outcome_.jobs[t.job];
      out.state = t.state;
      out.attempts = plan_.attempts(t.job);
      if (IsFinal(t.state) || t.state == JobState::kWaitingRetry) out.reason = t.reason;
      if (observer_ == nullptr || t.state == JobState::kRunning || t.state == JobState::kPending) continue;
      JobEvent event;
      event.job = t.job;
      switch (t.state) {
        case JobState::kWaitingRetry:
          event.kind = JobEvent::Kind::kRetrying;
          event.retry_after_ns = std::max<int64_t>(0, t.retry_at_ns - clock_.MonotonicNanos());
          break;
        case JobState::kSucceeded:
          event.kind = JobEvent::Kind::kSucceeded;
          break;
        case JobState::kFailed:
          event.kind = JobEvent::Kind::kFailed;
          break;
        case JobState::kCached:
          event.kind = JobEvent::Kind::kCached;
          break;
        case JobState::kSkipped:
          event.kind = JobEvent::Kind::kSkipped;
          break;
        case JobState::kCancelled:
          event.kind = JobEvent::Kind::kCancelled;
          break;
        default:
          break;
      }
      event.attempt = out.attempts;
      event.reason = t.reason;
      event.wall_ns = out.wall_ns;
      bool ran =
          out.attempts > 0 && event.kind != JobEvent::Kind::kReady && event.kind != JobEvent::Kind::kCached;
      if (ran) event.result = &out.result;
      observer_->OnEvent(event);
    }
  }

  const ExecutorOptions& options_;
  Clock& clock_;
  int parallelism_;
  const JobGraph& graph_;
  JobDelegate& delegate_;
  CommandRunner& runner_;
  ExecObserver* observer_;
  Plan plan_;
  int free_slots_;
  int64_t free_memory_;
  std::vector<Held> held_;
  RunOutcome outcome_;
  std::unique_ptr<CollectPool> pool_;  // last: its workers call into the members above
};

}  // namespace

StatusOr<RunOutcome> Executor::Run(const JobGraph& graph, JobDelegate& delegate, CommandRunner& runner,
                                   ExecObserver* observer) {
  if (options_.parallelism < 0) return InvalidArgumentError("parallelism must be >= 0");
  if (options_.memory_budget_bytes < 0) return InvalidArgumentError("memory budget must be >= 0");
  RETURN_IF_ERROR(ValidateJobGraph(graph));
  int parallelism = options_.parallelism;
  if (parallelism == 0) parallelism = std::max(1u, std::thread::hardware_concurrency());
  RunLoop run(options_, parallelism, graph, delegate, runner, observer);
  return run.Execute();
}

}  // namespace mlpipe::exec
