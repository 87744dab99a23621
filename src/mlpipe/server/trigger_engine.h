// TriggerEngine: decides when a pipeline's triggers fire, and records each
// fire (with what the trigger saw) in the ControlStore in one transaction, so
// that a server killed at any moment neither loses a recorded fire nor, after
// a restart, fires again for what it already fired for.
//
// It reads time only from its Clock and the world only through
// TriggerProbes, so tests drive schedules, file changes, commits and alias
// moves without waiting.
//
// Per kind:
// - schedule: fires at each slot of its cron schedule. The last slot fired is
//   kept; after a restart (or a long stall) the slots missed fire once, with
//   reason "missed", never one per slot.
// - on_change: a changed path (from the file watcher, or every poll) is
//   confirmed by digest against the digest last seen; a `touch` fires
//   nothing. The first digest seen of a path is its baseline (no fire).
// - on_commit: a new head of the branch fires when the commits between touch
//   the pipeline's files (its spec, component and code files).
// - on_model: MODEL@ALIAS now points at another version.
// - webhook: Webhook(); 409 when the trigger is paused.
// - on_drift: Drift(); the drift monitor calls it for its deployment.
// - all: / any: their members' events; `all` fires once every event member has
//   seen an event since it last fired and every since_last_run holds; `any`
//   when any member fires.
// A fire of a pipeline that already has a queued fire is recorded as
// coalesced into it. A paused trigger records nothing (webhooks: an error).
// A fire that is queued (any trigger, forced or not) also records, in the
// same transaction, a fire of each pipeline that is a challenger_of it
// (trigger "challenger_of", reason "challenger_of OTHER: fire N (REASON)"),
// never forced: the challenger's own brakes and coalescing apply to it.
//
// Not thread-safe: the server's loop thread owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/metadata/control_store.h"
#include "mlpipe/server/pipeline_def.h"
#include "mlpipe/server/trigger_probes.h"
#include "mlpipe/spec/cron.h"

namespace mlpipe::server {

struct TriggerEngineOptions {
  // How often branches and aliases are polled (on_commit, on_model), and
  // on_change paths are digested when no watcher reports changes.
  int64_t poll_interval_ns = 5'000'000'000;
  // Whether the on_change paths are digested on every poll (no file watcher).
  bool poll_paths = false;
};

class TriggerEngine {
 public:
  TriggerEngine(std::vector<PipelineDef> pipelines, metadata::ControlStore& store, TriggerProbes& probes,
                Clock& clock, TriggerEngineOptions options = {});

  // Records baselines for what was never seen (no fire) and fires missed
  // schedules once. Call once before Tick.
  Status Start();
  // Schedules due, polls due; returns the ids of the fires recorded.
  StatusOr<std::vector<int64_t>> Tick();
  // Paths the watcher saw change (absolute); confirmed by digest.
  StatusOr<std::vector<int64_t>> PathsChanged(const std::set<std::string>& paths);
  // A webhook or a fire through the API (`trigger_id` "" = a manual fire of
  // the pipeline). NotFound: no such pipeline or webhook; FailedPrecondition:
  // the trigger is paused. `force` bypasses the brakes. `params` (a manual
  // fire's, already checked: TriggerFire::params) are its run's overrides; a
  // fire with params is never coalesced, nor is another coalesced into it:
  // each asked for a run of its own.
  StatusOr<int64_t> Webhook(const std::string& pipeline, const std::string& trigger_id,
                            const std::string& from, bool force, const std::string& params = "");
  // The drift monitor's alert for `deployment` fires its on_drift triggers.
  StatusOr<std::vector<int64_t>> Drift(const std::string& deployment, const std::string& reason);
  // Pauses or resumes a trigger (kept in the store: survives a restart).
  Status SetPaused(const std::string& pipeline, const std::string& trigger_id, bool paused);
  StatusOr<bool> Paused(const std::string& pipeline, const std::string& trigger_id);

  // When Tick next has something to do (a schedule slot or a poll), wall ns.
  int64_t NextWakeNs() const { return next_wake_ns_; }
  const std::vector<PipelineDef>& pipelines() const { return pipelines_; }
  const PipelineDef* FindPipeline(const std::string& name) const;
  // Every path an on_change trigger watches.
  std::set<std::string> WatchedPaths() const;
  // The challengers' fires recorded since the last call (committed; their
  // ids are not in what Tick, Webhook, ... return).
  std::vector<int64_t> TakeChallengerFires();

 private:
  // An event one leaf trigger saw: what its fire's reason says.
  struct Seen {
    const TriggerDef* trigger;
    std::string reason;
  };
  // What a pass looks at: every leaf of a kind in `kinds`, paths limited to
  // `paths` when given.
  struct Pass {
    std::set<TriggerDef::Kind> kinds;
    const std::set<std::string>* paths = nullptr;
    bool at_start = false;
  };
  // Runs `body` in one transaction of the store: committed if it succeeds,
  // rolled back (and its error returned) if not.
  Status InTransaction(const std::function<Status()>& body);
  // One pass over every pipeline's triggers, in one transaction.
  StatusOr<std::vector<int64_t>> RunPass(const Pass& pass);
  Status CheckLeaf(const PipelineDef& p, const TriggerDef& t, const Pass& pass, std::vector<Seen>& seen);
  Status CheckSchedule(const PipelineDef& p, const TriggerDef& t, bool at_start, std::vector<Seen>& seen);
  Status CheckPaths(const PipelineDef& p, const TriggerDef& t, const std::set<std::string>* only,
                    std::vector<Seen>& seen);
  Status CheckCommit(const PipelineDef& p, const TriggerDef& t, std::vector<Seen>& seen);
  Status CheckModel(const PipelineDef& p, const TriggerDef& t, std::vector<Seen>& seen);
  // Whether top-level trigger `t` fires for the events its leaves saw; if so
  // records the fire.
  Status Evaluate(const PipelineDef& p, const TriggerDef& t, const std::vector<Seen>& seen, bool force,
                  std::vector<int64_t>& fired);
  StatusOr<int64_t> RecordFire(const PipelineDef& p, const std::string& trigger_id, const std::string& reason,
                               bool force, const std::string& params = "");
  StatusOr<std::optional<std::string>> State(const PipelineDef& p, const TriggerDef& t,
                                             const std::string& key);
  Status SetState(const PipelineDef& p, const TriggerDef& t, const std::string& key,
                  const std::string& value);
  void ComputeNextWake();

  std::vector<PipelineDef> pipelines_;
  metadata::ControlStore& store_;
  TriggerProbes& probes_;
  Clock& clock_;
  TriggerEngineOptions options_;
  int64_t next_poll_ns_ = 0;
  int64_t next_wake_ns_ = 0;
  // Per schedule trigger ("pipeline/id"): its parsed schedule and the next
  // slot after the last one fired (as stored), so an idle pass costs no
  // database read and no local-time walk until a slot is due.
  std::map<std::string, spec::CronSchedule> crons_;
  std::map<std::string, int64_t> next_slot_;
  std::vector<int64_t> challenger_fires_;          // committed, not yet taken
  std::vector<int64_t> pending_challenger_fires_;  // in the open transaction
};

}  // namespace mlpipe::server
