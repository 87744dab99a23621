// LocalRunner: runs commands as local processes.
//
// Each command is forked into its own process group (so a timeout or an
// interrupt kills the whole tree, grandchildren included), dying with this
// process (a parent-death signal), with
// stdin from /dev/null, stdout/stderr into pipes copied to the command's log
// files (LogCapture: a file is made only when its stream writes a byte) and
// the given cwd and environment.
//
// The fork is done by a small spawner process (mlpipe-spawn,
// spawner_client.h), started at the first Start and living as long as the
// runner: forking mlpipe itself per step cost most of its CPU on large
// fan-outs (the page tables of a large process, then its copy-on-write
// faults), and a step forked from the spawner is charged only its own peak
// RSS. Start sends the command (its log pipes passed as fds) and gets the
// pid back; the spawner reaps the steps and reports each exit with wait4's
// status, CPU and peak RSS. The steps die with the spawner, which dies with
// this process. Where no spawner can be found or started (spawner_status()
// says why, and MLPIPE_DEBUG=1 prints it), or a command is too large for
// its socket, the runner forks the command itself as before, and waits on
// one pidfd per process (or a SIGCHLD self-pipe where pidfds are
// unavailable). If the spawner dies, the commands it started end with an
// error (their process groups are killed) and later ones are forked here.
//
// Wait() blocks in a single poll() over the spawner's socket (and the
// pidfds of commands forked here), the log pipes, the interrupt fd
// (interrupt.h) and the wake eventfd, with the nearest timeout or deadline as
// the poll timeout. What a command printed is in its log files by the time
// Wait reports its result.
//
// A step owns its process group: when the step's main process exits, anything
// it left running in its group is killed (SIGKILL) before the result is
// reported, so no step leaves orphans behind (option kill_group_on_exit).
//
// Not thread-safe: one thread drives a runner. Destroying a runner with
// commands still running aborts them (AbortAll).
#pragma once

#include <sys/types.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/exec/command_runner.h"
#include "mlpipe/exec/log_capture.h"
#include "mlpipe/exec/spawner_client.h"

namespace mlpipe::exec {

struct LocalRunnerOptions {
  // Time source for timeouts and Wait deadlines. Default (nullptr): RealClock().
  Clock* clock = nullptr;
  // After a timeout's SIGTERM, SIGKILL follows after this long. Default 5 s.
  int64_t kill_grace_ns = 5'000'000'000;
  // AbortAll's grace between SIGTERM and SIGKILL. Default 300 ms, so an
  // interrupted run ends well within a second.
  int64_t abort_grace_ns = 300'000'000;
  // Use pidfds to wait for children (Linux >= 5.3). If false, or if
  // pidfd_open fails, a process-wide SIGCHLD handler and self-pipe are used.
  bool use_pidfd = true;
  // Include the interrupt fd in Wait's poll and return Cancelled on interrupt.
  bool watch_interrupts = true;
  // Kill what a step left in its process group once its main process exits.
  bool kill_group_on_exit = true;
  // Each command's main process gets SIGKILL when this process dies (even by
  // kill -9): spawn.h's die_with_parent. The thread that calls Start must
  // live as long as the commands. Default true.
  bool die_with_runner = true;
  // Called after each command starts, with its pid (which is also its
  // process group), so that the caller can record it: what survives a
  // kill -9 of this process is then found and ended by the next run
  // (engine/step_processes.h). Default: nothing.
  std::function<void(pid_t)> on_started = nullptr;
  // Fork the commands in the step spawner (above) rather than in this
  // process. Default true; without one, the commands are forked here.
  bool use_spawner = true;
  // The spawner's executable; "" looks where SpawnerCandidates() says.
  std::string spawner_path = {};
};

class LocalRunner : public CommandRunner {
 public:
  explicit LocalRunner(LocalRunnerOptions options = {});
  ~LocalRunner() override;
  LocalRunner(const LocalRunner&) = delete;
  LocalRunner& operator=(const LocalRunner&) = delete;

  Status Start(int job, const Command& command) override;
  StatusOr<std::optional<std::pair<int, CommandResult>>> Wait(int64_t deadline_mono_ns) override;
  void AbortAll() override;
  size_t running() const override { return procs_.size() + done_.size(); }
  void Wake() override;

  // Process ids (= process group ids) of the commands still running, for tests.
  std::vector<pid_t> pids() const;
  // The spawner's pid (-1: none, or not started yet), and why there is none:
  // OK while it runs or before the first Start.
  pid_t spawner_pid() const { return spawner_ != nullptr ? spawner_->pid() : -1; }
  const Status& spawner_status() const { return spawner_status_; }

 private:
  struct Proc {
    int job = -1;
    pid_t pid = -1;
    int pidfd = -1;  // -1: rely on the SIGCHLD pipe (or the spawner)
    bool spawned = false;  // forked by the spawner, which reaps it
    int64_t start_ns = 0;
    int64_t timeout_ns = 0;
    int64_t kill_at_ns = 0;  // when SIGKILL follows a SIGTERM (0 = not scheduled)
    bool timed_out = false;
    bool cancelled = false;
    bool killed = false;  // SIGKILL sent
    // One per log file: stdout's, stderr's, or one for both when they share a file.
    std::vector<LogCapture> logs;
  };

  // Moves every exited process to done_. Returns how many.
  int CollectExited();
  // Reaps `proc` (blocking) and appends its result to done_.
  void Finish(Proc& proc);
  // Appends the result of `proc`, which the spawner reaped (exit.pid -1:
  // the spawner died first), to done_.
  void FinishSpawned(Proc& proc, const SpawnedExit& exit);
  // Copies the rest of `proc`'s logs and appends its result: `exit`, or
  // `error` when not empty.
  void Report(Proc& proc, const SpawnedExit& exit, std::string error);
  // Moves the spawner's reported exits (with `block`, at least one) to
  // done_; if it died, ends its commands. Returns how many.
  int CollectSpawned(bool block);
  // Starts the spawner at the first Start; false if there is none.
  bool EnsureSpawner();
  // Starts `command` through the spawner; false if it must be forked here.
  bool StartSpawned(Proc& proc, const Command& command, int out_fd, int err_fd, std::string* error);
  // Sends timeout signals that are due; returns the next time one will be.
  int64_t HandleTimeouts(int64_t now_ns);
  // Blocks in poll() on the children, their log pipes (copied to the log
  // files when readable) and the interrupt fd until `wake_ns`.
  // Returns true if Wake() ended it.
  bool PollUntil(int64_t wake_ns, bool with_interrupt);

  LocalRunnerOptions options_;
  Clock* clock_;
  std::vector<Proc> procs_;
  std::deque<std::pair<int, CommandResult>> done_;
  int wake_fd_ = -1;  // eventfd written by Wake(), polled by Wait()
  std::unique_ptr<SpawnerClient> spawner_;
  bool spawner_tried_ = false;
  Status spawner_status_;
};

}  // namespace mlpipe::exec
