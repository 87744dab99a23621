// LocalRunner: runs commands as local processes.
//
// Each command is forked into its own process group (so a timeout or an
// interrupt kills the whole tree, grandchildren included), dying with this
// process (a parent-death signal), with
// stdin from /dev/null, stdout/stderr into pipes copied to the command's log
// files (LogCapture: a file is made only when its stream writes a byte) and
// the given cwd and environment. Wait() blocks in a single poll() over one
// pidfd per process (or a SIGCHLD self-pipe where pidfds are unavailable), the
// log pipes and the interrupt fd (interrupt.h), with the nearest timeout or
// deadline as the poll timeout; wait4 gives CPU time and peak RSS. What a
// command printed is in its log files by the time Wait reports its result.
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
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/exec/command_runner.h"
#include "mlpipe/exec/log_capture.h"

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

 private:
  struct Proc {
    int job = -1;
    pid_t pid = -1;
    int pidfd = -1;  // -1: rely on the SIGCHLD pipe
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
};

}  // namespace mlpipe::exec
