// RunQueue: turns queued trigger fires into runs. On each Step it starts what
// the brakes allow (per pipeline: `concurrency` runs at once; unless the fire
// is forced, `cooldown` since the last triggered start, at most
// `max_runs_per_day` starts per local day), follows the children's output
// (their run id, step events for the events stream) and records, when a run
// ends, the fire's end and the monitoring record's points (run and step
// durations, CPU, peak memory, queue time, data change to run finished).
//
// A fire is marked started (committed) before its child is spawned, so a
// server killed in between finds it on restart (Recover): a run still
// running is adopted (followed until its process is gone), a finished one
// closes its fire, and one whose process died is recorded as interrupted
// and continued by a new fire (`mlpipe run --resume RUN`).
//
// Not thread-safe: the server's loop thread owns it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/metadata/control_store.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/server/event_bus.h"
#include "mlpipe/server/pipeline_def.h"
#include "mlpipe/server/run_launcher.h"

namespace mlpipe::server {

// What happens when a run ends, for the monitors (duration alerts).
using RunEndedHook = std::function<void(const metadata::TriggerFire& fire, const metadata::Run& run)>;

class RunQueue {
 public:
  RunQueue(const std::vector<PipelineDef>& pipelines, metadata::ControlStore& control,
           metadata::MetadataStore& db, RunLauncher& launcher, EventBus& bus, Clock& clock,
           std::string log_dir);

  // At start-up: fires left started by an earlier server.
  Status Recover();
  // Starts what may start, follows children, records ends.
  Status Step();
  // Cancels a queued fire, or the running run of a fire (SIGTERM to its
  // process group). NotFound / FailedPrecondition (already ended).
  Status CancelFire(int64_t fire_id, const std::string& who);
  // The fire whose run is `run_id`, if the server started it.
  StatusOr<int64_t> FireOfRun(int64_t run_id);
  // Stops starting runs (a graceful stop).
  void StopStarting() { stopping_ = true; }
  // Sends `sig` to every running child.
  void SignalAll(int sig);
  // Runs this server is following (its children and adopted ones).
  int running() const { return static_cast<int>(active_.size()); }
  void set_run_ended_hook(RunEndedHook hook) { run_ended_ = std::move(hook); }

 private:
  struct Active {
    std::string pipeline;
    pid_t adopted_pid = 0;  // a run from an earlier server, followed by its pid
  };
  const PipelineDef* Find(const std::string& name) const;
  Status StartQueued();
  Status Start(metadata::TriggerFire fire, const PipelineDef& p);
  Status HandleReport(const LaunchReport& report);
  Status Finish(int64_t fire_id, const std::string& detail);
  Status PollAdopted();
  void RecordSeries(const metadata::TriggerFire& fire, const metadata::Run& run);
  int RunningOf(const std::string& pipeline) const;
  int64_t StartOfLocalDay(int64_t now_ns) const;

  const std::vector<PipelineDef>& pipelines_;
  metadata::ControlStore& control_;
  metadata::MetadataStore& db_;
  RunLauncher& launcher_;
  EventBus& bus_;
  Clock& clock_;
  const std::string log_dir_;
  std::map<int64_t, Active> active_;          // by fire id
  std::map<int64_t, std::string> cancelled_;  // running fires being cancelled -> by whom
  bool stopping_ = false;
  RunEndedHook run_ended_;
};

}  // namespace mlpipe::server
