// WorkerPool: the processes of a command predictor, each speaking the line
// protocol (line_protocol.h) over its stdin and stdout, one request at a time.
//
// Start launches every worker in the package folder and waits for each one's
// {"ready": true} line: a pool whose workers do not all start is never
// returned, so a model version that cannot start never serves. Call sends one
// request line to an idle worker and hands its answer line to the caller.
// A worker that dies, closes its stdout, breaks the protocol or does not
// answer within the request timeout is killed (its process group) and
// restarted in the background with a growing backoff; the request it held
// fails with Unavailable (died) or DeadlineExceeded (timed out), never hangs.
// The destructor closes every worker's stdin (the protocol's "exit now"),
// waits up to the grace period, then kills what is left.
//
// Each worker's stderr is read by a thread of its own and passed to the log
// line by line ("predictor worker 1234: ..."); its last lines are kept for the
// error of a worker that fails to start or dies.
//
// Thread-safety: Call and the accessors are thread-safe; the destructor must
// not run concurrently with a Call.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/exec/command_runner.h"
#include "mlpipe/ml/worker_launcher.h"

namespace mlpipe::ml {

struct WorkerPoolOptions {
  // The worker command (argv, full environment, working folder). Required.
  exec::Command command;
  int workers = 1;                              // 1..64; default 1
  int64_t startup_timeout_ns = 60'000'000'000;  // launch to the ready line; default 60 s
  int64_t request_timeout_ns = 30'000'000'000;  // a free worker, then its answer; default 30 s
  int64_t shutdown_grace_ns = 2'000'000'000;    // after stdin closes; default 2 s
  int64_t restart_backoff_ns = 100'000'000;     // first wait before a restart, doubling to 10 s
  WorkerLauncher* launcher = nullptr;           // null: RealWorkerLauncher(); borrowed
  // Worker stderr lines and pool events. Null: written to stderr.
  std::function<void(const std::string&)> log = nullptr;
};

class WorkerPool {
 public:
  // Launches the workers and waits for each one's ready line (all in
  // parallel). InvalidArgument for bad options; Unavailable if a worker
  // cannot be launched; FailedPrecondition if one exits, answers something
  // else or is not ready within the startup timeout (with the end of its
  // stderr).
  static StatusOr<std::unique_ptr<WorkerPool>> Start(WorkerPoolOptions options);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Writes `request` (one line, ending in '\n') to an idle worker and calls
  // `on_answer` with the first line it writes back that is a JSON object
  // (other lines are logged and skipped). Returns on_answer's status; if that
  // is DataLoss (the answer breaks the protocol) the worker is restarted.
  // Unavailable if the worker dies before answering, or no worker is free
  // within the request timeout; DeadlineExceeded if it does not answer in time.
  // A worker found dead when the request is written to it (it died idle) is
  // restarted and the request goes to another one.
  Status Call(std::string_view request, const std::function<Status(std::string_view answer)>& on_answer);

  int workers() const { return static_cast<int>(workers_.size()); }
  // Workers running and ready now.
  int ready() const;
  // Workers restarted since Start.
  int64_t restarts() const { return restarts_.load(); }
  // The current pids, "" slots as -1 (tests: to kill one).
  std::vector<pid_t> pids() const;

 private:
  struct Worker;
  explicit WorkerPool(WorkerPoolOptions options);

  // Launches worker `w` and waits for its ready line; on failure it is left
  // stopped and the reason returned.
  Status Launch(Worker& w);
  // An idle worker, marked busy; Unavailable if none is idle by the deadline.
  StatusOr<Worker*> TakeIdle(int64_t deadline_ns);
  // The next line of w's stdout that is a JSON object (stray lines are logged).
  // DeadlineExceeded; Unavailable if it closed its stdout.
  Status ReadAnswer(Worker& w, int64_t deadline_ns, std::string* line);
  // Kills (if `kill`) and reaps w's process, stops its stderr reader, closes
  // its fds. Returns how it ended.
  std::string Reap(Worker& w, bool kill);
  // Marks a busy worker dead (it is restarted in the background) and says why.
  std::string Bury(Worker& w, bool kill);
  void Supervise();
  void Log(const std::string& line) const;

  WorkerPoolOptions options_;
  WorkerLauncher* launcher_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<int64_t> restarts_{0};
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;            // guards the workers' states
  std::condition_variable idle_cv_;  // a worker became idle
  std::condition_variable dead_cv_;  // a worker died, or stopping
  std::thread supervisor_;
};

}  // namespace mlpipe::ml
