// ProgressPrinter: an ExecObserver that shows a run the way people expect.
//
//  - kTerminal: completed events are printed as lines; below them a live
//    region with one line per running step ("[3/12] train 41s"), redrawn on
//    every event and Tick with ANSI cursor-up / clear.
//  - kPlain (not a terminal): one line per event, e.g. "[3/12] started train",
//    "[4/12] train succeeded in 1.2s", "[5/12] train failed: exit 1" followed
//    by the last lines of the step's stderr file, indented.
//  - kJson: one JSON object per event per line ({"event":"started",
//    "step":"train","attempt":1,...}) and a final {"event":"summary",...}.
//    A "failed" event also carries "error" (the step's own last stderr line
//    when it exited with a failure code, else the reason) and "stderr_tail"
//    (the last lines of its stderr file).
// Counters ("[3/12]") count steps, never attempts: a retried step keeps the
// index its first attempt got, so no counter exceeds the number of steps.
// Non-JSON modes end with a summary table (step, status, attempts, duration,
// reason). In output a job is called a "step".
//
// Writes only to the injected stream. Not thread-safe (the executor calls
// observers from its one thread).
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/exec/observer.h"

namespace mlpipe::exec {

enum class ProgressMode { kTerminal, kPlain, kJson };

// kTerminal if `fd` is a terminal and TERM is not "dumb", else kPlain.
ProgressMode DetectProgressMode(int fd);

struct ProgressOptions {
  ProgressMode mode = ProgressMode::kPlain;
  // For the elapsed time of running steps. Default (nullptr): RealClock().
  Clock* clock = nullptr;
  // Lines of a failed step's stderr file shown under the failure (0 = none).
  int stderr_tail_lines = 20;
  // Print the summary table (JSON: the summary object) when the run ends.
  bool summary = true;
};

class ProgressPrinter : public ExecObserver {
 public:
  // `out` must outlive the printer.
  ProgressPrinter(std::ostream& out, ProgressOptions options);

  void OnRunStarted(const JobGraph& graph) override;
  void OnEvent(const JobEvent& event) override;
  void OnTick(int64_t now_mono_ns) override;
  void OnRunFinished(const RunOutcome& outcome) override;
  // Prints a line of the caller's among the event lines (on a terminal,
  // above the live region). For the plain and terminal modes.
  void PrintNote(const std::string& line);

 private:
  struct Live {
    int index;  // start order, 1-based
    int64_t started_ns;
  };
  void PrintLine(const std::string& line);
  void PrintJson(const JobEvent& event);
  void ClearLive();
  void DrawLive();
  std::string Name(int job) const;

  std::ostream& out_;
  ProgressOptions options_;
  Clock* clock_;
  const JobGraph* graph_ = nullptr;
  int total_ = 0;
  int started_ = 0;
  int finished_ = 0;
  std::map<int, Live> running_;              // by job
  std::map<int, int> start_index_;           // by job: 1-based order of its first start
  std::map<int, std::string> stderr_paths_;  // by job, from the started event
  int live_lines_ = 0;
};

// The last `n` lines of the file at `path` (reads at most its last 64 KiB);
// empty if it cannot be read.
std::vector<std::string> TailLines(const std::string& path, int n);

// What went wrong with a failed step, in one line: its own last non-empty
// stderr line (`stderr_tail`) when it exited with a failure code by itself
// (`result`: no signal, no timeout, no spawn error), else `reason` (a spawn
// error, a timeout, an output it did not write).
std::string FailureMessage(const std::string& reason, const CommandResult* result,
                           const std::vector<std::string>& stderr_tail);

// The end-of-run table: one row per step (step, status, attempts, duration,
// reason) and a totals line ("3 succeeded, 1 failed in 5.2s").
std::string FormatSummaryTable(const JobGraph& graph, const RunOutcome& outcome);

}  // namespace mlpipe::exec
