// Executor: the run loop (ninja's Builder).
//
// Run() asks the Plan what is ready, starts what the capacity allows (through
// the JobDelegate, which decides whether a job runs or is already satisfied,
// and builds its Command), and blocks in exactly one place: runner.Wait(), with
// the nearest retry backoff (or observer tick) as the deadline. Each finished
// command goes back to the delegate and the plan.
//
// Capacity: a job takes `slots` of `parallelism` (clamped to [1, parallelism])
// and `memory_bytes` of the memory budget (clamped to the budget). A job
// waiting for its retry backoff holds neither.
// Retries: an attempt that fails (non-zero exit, signal, timeout, spawn error,
// or Finish() error) is retried after backoff_ns * 2^(attempt-1) while attempts
// remain. A Prepare() error or a Start() error fails the job without retry.
// Interrupts: when runner.Wait() returns Cancelled, nothing new starts,
// runner.AbortAll() kills what runs, and those jobs end cancelled.
// Collecting: with collect_threads > 0, a successful command's Collect() runs
// on a worker (CollectPool) and its job stays running until the worker is
// done and Finish() has run on the executor's thread; Wait() is woken by the
// worker. An interrupt lets running collections finish (their jobs succeed)
// and cancels the queued ones.
#pragma once

#include <cstdint>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/exec/command_runner.h"
#include "mlpipe/exec/job_graph.h"
#include "mlpipe/exec/observer.h"
#include "mlpipe/exec/run_outcome.h"

namespace mlpipe::exec {

struct ExecutorOptions {
  // Slot budget (-j). 0 = the number of cores.
  int parallelism = 0;
  // Memory budget in bytes. 0 = unlimited.
  int64_t memory_budget_bytes = 0;
  // false (default): fail fast, stop starting jobs after the first failure.
  // true: keep running independent branches; skip only what is downstream.
  bool keep_going = false;
  // Time source; must be the runner's clock. Default (nullptr): RealClock().
  Clock* clock = nullptr;
  // How often the observer gets OnTick while waiting. 0 = never. Default 1 s.
  int64_t tick_interval_ns = 1'000'000'000;
  // Worker threads for JobDelegate::Collect (when the delegate has one).
  // 0 = call Collect on the executor's thread, right before Finish.
  int collect_threads = 0;
  // See JobDelegate::HasPendingWork. Default 5 ms.
  int64_t idle_flush_ns = 5'000'000;
};

// How one attempt of a job should be carried out.
struct JobLaunch {
  enum Kind { kRun, kSatisfied } kind = kRun;
  Command command = {};     // for kRun; timeout_ns 0 = use JobSpec::timeout_ns
  std::string reason = {};  // for kSatisfied: why no run is needed ("cache hit ...")
};

// Implemented by the engine: turns jobs into commands and records results.
// Called on the executor's thread.
class JobDelegate {
 public:
  virtual ~JobDelegate() = default;
  // Called once per attempt when the job's deps are done and capacity allows.
  // kSatisfied = cached (no run). An error fails the job (no retry) with the
  // status message as reason.
  virtual StatusOr<JobLaunch> Prepare(int job, int attempt) = 0;
  // Optional first half of finishing a successful command (exit 0): work that
  // touches only this job's own files and state (storing its outputs), so it
  // may run on a worker thread while other jobs run. Only called if
  // HasCollect(); called for one job at a time per job, concurrently across
  // jobs; an error fails the attempt like a Finish() error. A job holds no
  // slot while it collects: its process is gone.
  virtual bool HasCollect() const { return false; }
  virtual Status Collect(int job, int attempt, const CommandResult& result) { return OkStatus(); }
  // False: job's Collect is too little work to hand to a worker (two thread
  // switches cost more, and a dependent waits for them), so it runs on the
  // executor's thread.
  virtual bool CollectOnWorker(int job) const { return true; }
  // Called after a successful command (exit 0) and its Collect, on the
  // executor's thread; an error fails this attempt (retried if attempts
  // remain) with the status message as reason.
  virtual Status Finish(int job, int attempt, const CommandResult& result) = 0;
  // Called after a failed attempt (before a retry or the final failure), for
  // records. `reason` is what the plan records: the result's Describe(), or
  // the Collect()/Finish() error when the command itself exited 0.
  virtual void AttemptFailed(int job, int attempt, const CommandResult& result, const std::string& reason,
                             bool will_retry) {}
  // Words added to a failed attempt's reason before anything records or
  // prints it (e.g. that the disk is full, and how full); "" for none.
  virtual std::string FailureNote(int job, const std::string& reason) { return ""; }
  // Optional group commit: while HasPendingWork() (records batched, not yet
  // durable), the executor waits at most ExecutorOptions::idle_flush_ns for
  // the next result, and if none comes calls FlushPendingWork(). So bursts of
  // short jobs share one commit, and nothing waits unrecorded while the run
  // is idle (a crash then loses nothing that finished before the lull).
  virtual bool HasPendingWork() const { return false; }
  virtual void FlushPendingWork() {}
};

class Executor {
 public:
  explicit Executor(ExecutorOptions options) : options_(options) {}

  // Runs every job of `graph`. Returns InvalidArgument for an invalid graph or
  // options; otherwise the outcome (job failures and interrupts are in it, not
  // in the Status). `observer` may be null.
  StatusOr<RunOutcome> Run(const JobGraph& graph, JobDelegate& delegate, CommandRunner& runner,
                           ExecObserver* observer = nullptr);

 private:
  ExecutorOptions options_;
};

}  // namespace mlpipe::exec
