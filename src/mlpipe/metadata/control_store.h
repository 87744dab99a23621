// ControlStore: what the control plane (`mlpipe server`) keeps in the
// metadata database beside the record of runs: trigger fires (its durable run
// queue), what each trigger has seen, the monitoring record's time series and
// the server's events. An abstract interface, like MetadataStore, with a
// SQLite backend (sqlite_control_store.h; the tables are schema v6 and v8 of
// migrations.cc) and a PostgreSQL one (pg_control_store.h; v2 of
// pg_migrations.cc); open_store.h opens the one where the metadata is.
//
// A fire is recorded before anything acts on it, so a server killed at any
// point loses no fire and, reading the states back, repeats none.
//
// Thread-safety: an instance is one connection; use one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::metadata {

enum class FireState {
  kQueued,       // waiting for a slot (concurrency), the cooldown, or the server to start it
  kCoalesced,    // folded into an earlier queued fire of the same pipeline (detail names it)
  kStarted,      // its run is running (run_id once the run recorded itself)
  kFinished,     // its run ended (the run's own status says how)
  kSkipped,      // a brake held it back for good (detail says which: cooldown, daily cap, paused)
  kInterrupted,  // the server stopped while its run ran and the run's process is gone
  kCancelled,    // cancelled through the API before or while it ran
};
std::string_view ToString(FireState state);
StatusOr<FireState> ParseFireState(std::string_view text);

struct TriggerFire {
  int64_t id = 0;
  std::string pipeline = {};
  std::string trigger_id = {};  // the trigger's id in its pipeline ("schedule#1", a webhook's name), or "api"
  std::string reason = {};      // for people: "on_change data/loans.csv sha256:ab12.. -> sha256:9f3e.."
  int64_t fired_ns = 0;
  FireState state = FireState::kQueued;
  std::string detail = {};  // why coalesced, skipped, interrupted or cancelled
  std::optional<int64_t> run_id = {};
  int64_t started_ns = 0;
  int64_t ended_ns = 0;
  bool force = false;  // a manual fire or webhook with force=true: the brakes do not apply
  // Set on the fire that continues an interrupted run: its run is
  // `mlpipe run --resume RUN` (completed steps come from the cache).
  std::optional<int64_t> resume_run = {};
  // A manual fire's param overrides, a JSON object ({"seed": 7}); "" = none
  // (the pipeline's defaults). Checked against the pipeline's params before
  // the fire is recorded; its run gets each as `-p NAME=VALUE`.
  std::string params = {};
};

struct FireQuery {
  std::string pipeline = {};           // "" = any
  std::vector<FireState> states = {};  // empty = any
  int64_t before_id = 0;               // 0 = from the newest
  int limit = 100;                     // <= 0 = all
};

// A point of a time series: name{labels} at time_ns. Labels are a canonical
// text, `key="value",...` sorted by key (Prometheus' exposition order).
struct SeriesPoint {
  std::string name = {};
  std::string labels = {};
  int64_t time_ns = 0;
  double value = 0;
};

// An event of the server: run/step started or finished, trigger fired,
// alias moved, an alert. `data` is a JSON object's text.
struct ServerEvent {
  int64_t id = 0;
  int64_t time_ns = 0;
  std::string kind = {};  // "run.started", "step.finished", "trigger.fired", "alert", ...
  std::string pipeline = {};
  std::optional<int64_t> run_id = {};
  std::string data = "{}";
};

class ControlStore {
 public:
  virtual ~ControlStore() = default;

  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;

  // ---- Trigger fires.
  virtual StatusOr<int64_t> RecordFire(const TriggerFire& fire) = 0;
  // Overwrites every field of fire `fire.id`. NotFound if absent.
  virtual Status UpdateFire(const TriggerFire& fire) = 0;
  virtual StatusOr<TriggerFire> GetFire(int64_t id) = 0;
  // Newest first.
  virtual StatusOr<std::vector<TriggerFire>> ListFires(const FireQuery& query) = 0;
  // Fires of `pipeline` started (state started, finished or interrupted)
  // at or after `since_ns`, not counting forced ones: the daily cap.
  virtual StatusOr<int> CountStartedSince(std::string_view pipeline, int64_t since_ns) = 0;
  // The start time of the newest unforced fire of `pipeline` that started;
  // 0 if none: the cooldown.
  virtual StatusOr<int64_t> LastStartNs(std::string_view pipeline) = 0;

  // ---- What triggers have seen (a digest per path, the last schedule slot...).
  virtual StatusOr<std::optional<std::string>> GetTriggerState(std::string_view pipeline,
                                                               std::string_view trigger_id,
                                                               std::string_view key) = 0;
  virtual Status SetTriggerState(std::string_view pipeline, std::string_view trigger_id, std::string_view key,
                                 std::string_view value, int64_t now_ns) = 0;

  // ---- The monitoring record.
  virtual Status AppendSeries(const std::vector<SeriesPoint>& points) = 0;
  // Points of `name` (every label set when `labels` is nullopt) in
  // [from_ns, to_ns), oldest first.
  virtual StatusOr<std::vector<SeriesPoint>> QuerySeries(std::string_view name,
                                                         const std::optional<std::string>& labels,
                                                         int64_t from_ns, int64_t to_ns) = 0;
  // The newest point of `name` per label set, sorted by labels.
  virtual StatusOr<std::vector<SeriesPoint>> LatestPoints(std::string_view name) = 0;
  // Keeps one point (the mean) per `bucket_ns` for points older than
  // `older_than_ns`, and drops points older than `drop_before_ns`. Returns
  // how many rows it removed.
  virtual StatusOr<int64_t> CompactSeries(int64_t older_than_ns, int64_t bucket_ns,
                                          int64_t drop_before_ns) = 0;

  // ---- Counts for /metrics: (pipeline, status, count) of runs, and
  // (pipeline, state, count) of trigger fires, sorted.
  struct Count {
    std::string pipeline;
    std::string state;
    int64_t count = 0;
  };
  virtual StatusOr<std::vector<Count>> RunCounts() = 0;
  virtual StatusOr<std::vector<Count>> FireCounts() = 0;

  // ---- Server events.
  // Stores them in order with the ids they carry (0: the next id); returns
  // their ids (ascending).
  virtual StatusOr<std::vector<int64_t>> AppendEvents(const std::vector<ServerEvent>& events) = 0;
  // Events with id > after_id, oldest first, at most `limit`.
  virtual StatusOr<std::vector<ServerEvent>> EventsAfter(int64_t after_id, int limit) = 0;
  // The newest event id; 0 if none.
  virtual StatusOr<int64_t> LastEventId() = 0;
};

}  // namespace mlpipe::metadata
