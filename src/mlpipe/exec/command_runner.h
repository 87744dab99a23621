// CommandRunner: runs commands for the executor (ninja's CommandRunner).
//
// Start() launches without blocking; Wait() is the one place the executor
// blocks. Implementations: LocalRunner (real processes), FakeRunner (scripted,
// on a FakeClock). Later: Slurm. A runner and the executor must read time from
// the same Clock, since Wait's deadline is on that clock.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::exec {

// Wait() without a deadline.
inline constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

struct Command {
  // argv[0] is looked up in PATH when it has no '/'. Must not be empty.
  std::vector<std::string> argv = {};
  // The full KEY=VALUE environment of the process. Empty = inherit the caller's.
  std::vector<std::string> env = {};
  // Working directory ("" = the caller's).
  std::string cwd = {};
  // Files that receive stdout / stderr, created or truncated ("" = inherit the
  // caller's stream). stdin is always /dev/null.
  std::string stdout_path = {};
  std::string stderr_path = {};
  // Kill the command after this long (0 = no timeout): SIGTERM to its process
  // group, then SIGKILL after the runner's grace period.
  int64_t timeout_ns = 0;
  // What the command needs, for a runner that asks a scheduler for it (Slurm);
  // 0 = unspecified. The executor sets them from the job's slots and memory.
  int cpus = 0;
  int64_t memory_bytes = 0;
  // For people: what the command is ("train"); a scheduler's runner names its
  // job after it. The executor sets the job's name.
  std::string name = {};
  // What the command reads and writes by path, for a runner that runs it on
  // a machine without this one's files (engine/node_staging.h). A step's
  // command has them; other commands leave them empty.
  struct Files {
    // Stored objects it reads: the path it reads and the object's ref.
    std::vector<std::pair<std::string, std::string>> objects = {};
    // Files it reads that are sent as they are (its code).
    std::vector<std::string> sent = {};
    // Files written for it whose text names this machine's paths (a
    // built-in's invocation, a long command's script).
    std::vector<std::string> generated = {};
    // What it writes that is read once it ends (outputs, the metrics file).
    std::vector<std::string> returned = {};
    // The folders whose paths its argv, environment and files name (the
    // workspace, the pipeline's folder).
    std::vector<std::string> roots = {};
  };
  Files files = {};
};

struct CommandResult {
  int exit_code = -1;      // exit status if the process exited, else -1
  int term_signal = 0;     // signal that killed it, else 0
  bool timed_out = false;  // killed by the runner because timeout_ns passed
  bool cancelled = false;  // killed by AbortAll
  int64_t timeout_ns = 0;  // the timeout that applied (for Describe)
  int64_t wall_ns = 0;
  int64_t cpu_ns = 0;         // user + system time of the process and its reaped children
  int64_t max_rss_bytes = 0;  // peak resident set size
  std::string error = {};     // spawn failure text ("cannot run 'x': No such file or directory")

  // Exited with status 0 and none of the above went wrong.
  bool ok() const { return error.empty() && !timed_out && !cancelled && term_signal == 0 && exit_code == 0; }
  // For people: "exit 0", "exit 3", "killed by SIGKILL", "timed out after 5m00s",
  // "cancelled", or the spawn error.
  std::string Describe() const;
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;

  // Launches `command` for `job` without blocking. A failure to spawn the
  // program is not an error here: it is reported by Wait as a CommandResult
  // with `error` set. Returns InvalidArgument for an empty argv or a job that
  // is already running; Internal for an unexpected OS failure.
  virtual Status Start(int job, const Command& command) = 0;

  // Blocks until one started command finishes (returns its job and result),
  // the monotonic deadline passes (returns nullopt), or an interrupt arrives
  // (returns Cancelled; keeps returning it until the interrupt is cleared, but
  // finished results are always handed out first). With nothing running it
  // waits for the deadline; with nothing running and no deadline it returns
  // FailedPrecondition.
  virtual StatusOr<std::optional<std::pair<int, CommandResult>>> Wait(int64_t deadline_mono_ns) = 0;

  // Stops every running command: SIGTERM to each process group, SIGKILL after
  // a short grace, and reaps them all before returning. Their results (with
  // `cancelled` set) are then handed out by Wait.
  virtual void AbortAll() = 0;

  // Commands started whose results Wait has not yet returned.
  virtual size_t running() const = 0;

  // Callable from any thread: makes a Wait() that is blocked, or the next one,
  // return nullopt soon (the executor's workers use it to say "a job finished
  // collecting"). The default does nothing: Wait then returns at its deadline.
  virtual void Wake() {}
};

// "SIGTERM", "SIGKILL", ... or "signal 42".
std::string SignalName(int signo);

}  // namespace mlpipe::exec
