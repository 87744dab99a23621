// RunLauncher: starts a fire's run as a child `mlpipe run --json` process
// (a crashing step, or a crashing run, never takes the server down) and
// reports what the child prints and when it exits. ProcessLauncher is the
// real one; tests of the queue's logic use their own.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::server {

struct LaunchRequest {
  int64_t fire_id = 0;
  std::string spec_path;  // absolute
  std::string cwd;        // the project folder
  std::string trigger;    // recorded as the run's trigger (--trigger)
  std::optional<int64_t> resume_run;
  // `-p` texts ("seed=7"), a manual fire's params; none with resume_run (a
  // resumed run has its run's params).
  std::vector<std::string> param_overrides;
  std::string log_path;  // the child's stderr (and its stdout lines, as read)
};

// A line the child printed on stdout, or its exit.
struct LaunchReport {
  int64_t fire_id = 0;
  bool exited = false;
  int exit_code = 0;  // exited: the exit code, or 128 + the signal
  std::string line;   // !exited: one JSON object from `mlpipe run --json`
};

class RunLauncher {
 public:
  virtual ~RunLauncher() = default;
  virtual Status Launch(const LaunchRequest& request) = 0;
  // Sends `sig` to the child's process group (its steps too). False if none.
  virtual bool Signal(int64_t fire_id, int sig) = 0;
  // Reports since the last call, in the order they happened per child.
  virtual std::vector<LaunchReport> TakeReports() = 0;
  // Children still running.
  virtual int running() const = 0;
};

// Runs `mlpipe_exe run SPEC --json --trigger TEXT [--resume RUN] [-p NAME=VALUE...]`, each child
// the leader of its own process group (a `kill -9` of the server leaves its
// runs running; the restarted server adopts or resumes them). One thread per
// child reads its stdout; `wake` is called after each report so the server's
// loop wakes up.
class ProcessLauncher : public RunLauncher {
 public:
  ProcessLauncher(std::string mlpipe_exe, std::function<void()> wake);
  ~ProcessLauncher() override;
  Status Launch(const LaunchRequest& request) override;
  bool Signal(int64_t fire_id, int sig) override;
  std::vector<LaunchReport> TakeReports() override;
  int running() const override;

 private:
  struct Child {
    pid_t pid = -1;
    std::thread reader;
    bool done = false;
  };
  void Read(int64_t fire_id, pid_t pid, int out_fd, int log_fd);

  const std::string mlpipe_exe_;
  const std::function<void()> wake_;
  mutable std::mutex mu_;
  std::map<int64_t, std::unique_ptr<Child>> children_;
  std::vector<LaunchReport> reports_;
};

}  // namespace mlpipe::server
