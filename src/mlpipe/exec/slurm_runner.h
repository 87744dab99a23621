// SlurmRunner: a CommandRunner that runs each command as a Slurm batch job
// (`mlpipe run --executor slurm`). The engine still decides caching, ingests
// outputs and records everything: only where a step's process runs changes.
//
// Start submits a job (sbatch) whose script enters the command's folder and
// execs it with exactly its environment; stdout and stderr go to the
// command's log files (/dev/null when it has none), its resources become
// --cpus-per-task and --mem, its timeout --time (MINUTES:SECONDS; Slurm
// enforces it on its own timer, up to about a minute late), with the partition and account of the options.
// Wait asks Slurm for the state of every job in flight in one call (squeue), at most once per poll interval,
// and maps a finished job to the same result a local process would have: exit code, killed by a signal, timed
// out (TIMEOUT), cancelled. AbortAll (an interrupt) cancels them all in one scancel and waits until Slurm
// reports them ended. CPU time and peak RSS are not known without Slurm's accounting and are reported as 0.
//
// Not thread-safe, except Wake.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/exec/command_runner.h"
#include "mlpipe/exec/slurm_client.h"

namespace mlpipe::exec {

struct SlurmRunnerOptions {
  // Time source for deadlines and polls. Default (nullptr): RealClock().
  Clock* clock = nullptr;
  std::string partition;  // "" = the cluster's default
  std::string account;    // "" = the user's default
  // More sbatch arguments, passed as they are ("--qos=low").
  std::vector<std::string> sbatch_args;
  // Jobs are named PREFIX-NAME, NAME the command's (or its job's index when
  // it has none): squeue shows them. mlpipe run uses mlpipe-PIPELINE.
  std::string job_name_prefix = "mlpipe";
  // The shortest time between two state queries. Slurm's scheduler runs about
  // once a second, so a query more often than this learns nothing.
  int64_t poll_interval_ns = 250'000'000;
  // Include the interrupt fd in Wait and return Cancelled on interrupt.
  bool watch_interrupts = true;
  // AbortAll waits at most this long for Slurm to report the jobs ended.
  int64_t abort_wait_ns = 30'000'000'000;
  // Tiny steps cost Slurm about a second of scheduling each: commands started
  // together (in one pass of the executor, before it waits) are submitted as
  // one job of up to this many, run one after another, each with its own
  // folder, environment, logs and timeout, and each reported as soon as it
  // ends. 1 = a job per command. Needs scratch_dir.
  int group_max = 1;
  // Where grouped commands' exit statuses are written (a folder every node
  // sees; the run folder). "" = no grouping.
  std::string scratch_dir;
  // A file listing the jobs submitted (one id a line), emptied when the runner
  // ends; the jobs a runner killed with -9 left there that are still queued
  // or running are cancelled by the next runner given the same file, when it
  // is made. "" = none.
  std::string jobs_record;
};

// The batch script of `command`: `cd` to its folder, then exec its argv with
// exactly its environment (env -i) or, with none, the submitter's (sbatch
// exports it).
std::string SlurmBatchScript(const Command& command);
// sbatch's arguments for `command`, run as `job`.
std::vector<std::string> SbatchArgs(const Command& command, int job, const SlurmRunnerOptions& options);
// What a finished job means as a CommandResult.
CommandResult ResultOfSlurmJob(const SlurmJobState& state, int64_t timeout_ns);

class SlurmRunner : public CommandRunner {
 public:
  // `client` must outlive the runner.
  SlurmRunner(SlurmClient& client, SlurmRunnerOptions options = {});
  ~SlurmRunner() override;
  SlurmRunner(const SlurmRunner&) = delete;
  SlurmRunner& operator=(const SlurmRunner&) = delete;

  Status Start(int job, const Command& command) override;
  StatusOr<std::optional<std::pair<int, CommandResult>>> Wait(int64_t deadline_mono_ns) override;
  void AbortAll() override;
  size_t running() const override;
  void Wake() override;

  // State queries made so far (one per poll, whatever the number of jobs).
  int queries() const { return queries_; }
  // Slurm jobs submitted so far (a group is one).
  int submitted() const { return submitted_; }
  // The jobs of an earlier runner that jobs_record listed and Slurm still
  // had queued or running, cancelled when this one was made.
  const std::vector<std::string>& left_behind() const { return left_behind_; }

 private:
  // A command in a Slurm job: alone, or one of a group.
  struct Member {
    int job = -1;
    int64_t timeout_ns = 0;
    std::vector<std::string> logs;  // its log files, removed when empty (as a LocalRunner never makes them)
    std::string status_path;        // grouped: where the job writes its exit status ("" alone)
    bool reported = false;
  };
  struct Job {
    std::string id;
    int64_t start_ns = 0;
    bool cancelled = false;
    int missing_polls = 0;  // queries in a row that did not list it
    std::vector<Member> members;
  };
  struct Pending {
    int job;
    Command command;
  };

  // Submits what Start queued, in groups of at most group_max.
  void SubmitPending();
  // Submits `commands` as one job (a group when there are several).
  void Submit(const std::vector<Pending>& commands);
  // One query for every job in flight; finished commands move to done_.
  Status Poll();
  // Reports `m` of `j` with `result` (its wall time and empty logs handled here).
  void Report(const Job& j, Member& m, CommandResult result, int64_t now);
  // Blocks until `until_ns` (monotonic), a Wake or an interrupt.
  void Sleep(int64_t until_ns, bool with_interrupt);

  SlurmClient& client_;
  SlurmRunnerOptions options_;
  Clock* clock_;
  std::vector<Pending> pending_;
  std::vector<Job> jobs_;
  std::deque<std::pair<int, CommandResult>> done_;
  int64_t last_poll_ns_ = 0;
  int queries_ = 0;
  int submitted_ = 0;
  int groups_ = 0;  // numbers the groups' status files
  int wake_fd_ = -1;
  std::vector<std::string> left_behind_;
};

// The batch script of a group: each command in turn, in a subshell with its
// folder, environment, logs and timeout (coreutils' timeout), its exit status
// written to its status path (atomically: a rename) as it ends.
std::string SlurmGroupScript(const std::vector<Command>& commands,
                             const std::vector<std::string>& status_paths);

}  // namespace mlpipe::exec
