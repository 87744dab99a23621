// ModelManager: hot swap in TensorFlow Serving's manner (AspiredVersionsManager).
//
// Each servable (one routing variant: key "champion", "challenger", ...) has a
// desired state, a ModelSpec its ModelSource resolves to a version, and a live
// state, the published shared_ptr<const ServedModel>. A reconcile pass asks the
// source for every servable's desired version, decides with the pure policy
// DecideLoad, loads and warms a new version with the Loader (off the request
// path: on the manager's thread), and only then publishes it with one pointer
// swap under a mutex. Requests copy the pointer (Get) and hold it for their
// duration, so in-flight requests finish on the old version, which is freed
// when the last of them lets go. A version that fails to load or warm never
// replaces a working one; the failure is kept in the servable's status, passed
// to the on_load callback (log line, metrics) and not retried until the
// desired version changes or a reload is forced.
//
// Tests step the loop by hand with ReconcileOnce(); the server calls Start()
// to poll every poll_interval.
//
// Servables come and go while serving (a deployment that gains or drops a
// variant): PrepareServable loads and warms a new servable (or a servable's
// new spec) on the calling thread and adds it only once a version is live, so
// nobody is handed a servable that is not ready; RemoveServable drops one
// (requests holding its model finish on it).
//
// Thread-safety: every method is thread-safe. ReconcileOnce and
// PrepareServable serialise with the background thread's passes.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/serving/loader.h"
#include "mlpipe/serving/model_source.h"
#include "mlpipe/serving/served_model.h"

namespace mlpipe::serving {

// ---- The policy: a pure function of a snapshot.

struct SlotSnapshot {
  std::string live_version;    // "" = nothing live
  std::string failed_version;  // the last version that failed to load, "" = none
  bool unloaded = false;       // unloaded on request; stays so until forced
};

enum class LoadAction { kKeep, kLoad };

struct LoadDecision {
  LoadAction action = LoadAction::kKeep;
  std::string reason;  // for people: "champion: alias moved 3 -> 4"
};

// Why an unloaded servable stays so (the start of its status reason).
inline constexpr const char* kUnloadedReason =
    "unloaded on request until the next load call (POST /v2/repository/models/MODEL/load); the poll of "
    "its source does not reload it";

// What to do for one servable given what the source wants. `forced`: a
// reload was requested (POST .../load): retries a failed version and loads an
// unloaded servable even if its version did not change. An unloaded one is
// kept unloaded by every unforced pass, even when its alias moved.
LoadDecision DecideLoad(const SlotSnapshot& slot, const StatusOr<ResolvedModel>& desired, bool forced);

// ---- The manager.

enum class ServableState { kNew, kLoading, kAvailable, kError, kUnloaded };
const char* ServableStateName(ServableState state);  // "new", "loading", "available", "error", "unloaded"

struct ServableStatus {
  std::string key;         // variant name
  std::string model_name;  // the name requests use
  std::string spec;        // ModelSpec::ToString()
  ServableState state = ServableState::kNew;
  std::string live_version;  // "" = none
  std::string last_reason;   // the last decision's reason
  std::string last_error;    // the last load/resolve failure, "" = none
  std::string failed_version;
  int64_t loads = 0;          // successful loads
  int64_t load_failures = 0;  // failed loads (resolve failures are not counted)
  double last_load_seconds = 0;
};

// Passed to ManagerOptions::on_load after every load attempt.
struct LoadEvent {
  std::string key;
  std::string model_name;
  std::string version;
  bool ok = false;
  double seconds = 0;
  std::string error;   // when !ok
  std::string reason;  // why it was loaded
};

struct ManagerOptions {
  ModelSource* source = nullptr;             // required; borrowed, must outlive the manager
  Loader* loader = nullptr;                  // null: an internal PackageLoader; borrowed
  Clock* clock = nullptr;                    // null: RealClock(); used to time loads
  int64_t poll_interval_ns = 2'000'000'000;  // default 2 s
  // Called on the reconcile thread after each load attempt. Default none.
  std::function<void(const LoadEvent&)> on_load;
};

class ModelManager {
 public:
  explicit ModelManager(ManagerOptions options);
  ~ModelManager();  // stops the thread; published models live on while referenced
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // Declares servable `key` serving `model_name` from `spec`; the next pass
  // loads it. A key already declared is left as it is.
  void AddServable(const std::string& key, const std::string& model_name, ModelSpec spec);
  // Makes servable `key` serve `spec` with a live version before returning:
  // a new key is resolved, loaded and warmed, and only then added; a known
  // key whose spec differs loads the new spec's version and swaps it in (its
  // requests move to it at once); a known key with the same spec and a live
  // version is left alone. On failure (the spec does not resolve, the load
  // or warm-up fails) nothing changes: a new key is not added, a known one
  // keeps its spec and live version; the error names the key.
  Status PrepareServable(const std::string& key, const std::string& model_name, const ModelSpec& spec);
  // Drops servable `key` (no-op if unknown). Requests holding its model
  // finish on it; the model is freed when the last of them lets go.
  void RemoveServable(const std::string& key);
  // True if servable `key` is declared.
  bool HasServable(const std::string& key) const;

  // One reconcile pass over every servable; `force_model` ("" = none) forces
  // the servables of that model name. Returns one decision per servable.
  std::vector<LoadDecision> ReconcileOnce(const std::string& force_model = "");

  // Starts / stops the polling thread (Stop is idempotent, waits for a pass
  // in progress).
  void Start();
  void Stop();

  // Forces an immediate re-resolve of `model_name`'s servables and waits (up
  // to timeout_ns) for the pass. NotFound if no servable serves that name;
  // the load error (e.g. DataLoss) if a forced load failed; DeadlineExceeded
  // on timeout.
  Status Reload(const std::string& model_name, int64_t timeout_ns = 60'000'000'000);
  // Drops the live versions of `model_name` (requests get 503 until a
  // Reload). NotFound if no servable serves that name.
  Status Unload(const std::string& model_name);

  // The live version of servable `key`; null if none is live or `key` is unknown.
  std::shared_ptr<const ServedModel> Get(const std::string& key) const;
  std::vector<ServableStatus> Statuses() const;
  // True if every servable has a live version.
  bool AllAvailable() const;

 private:
  struct Slot;
  std::shared_ptr<Slot> FindSlot(const std::string& key) const;
  std::vector<std::shared_ptr<Slot>> SlotList() const;
  static std::shared_ptr<Slot> MakeSlot(const std::string& key, const std::string& model_name,
                                        const ModelSpec& spec);
  std::vector<LoadDecision> ReconcileForced(const std::set<std::string>& forced_models);
  // Resolves `spec` for `slot` and loads its version if DecideLoad says so;
  // `spec` becomes the slot's spec once its version is live.
  LoadDecision ReconcileSlot(Slot& slot, const ModelSpec& spec, bool forced);
  Status PassResult(const std::string& model_name) const;
  void Loop();

  ManagerOptions options_;
  std::unique_ptr<Loader> own_loader_;
  mutable std::shared_mutex slots_mu_;  // guards slots_ (the list; each slot has its own mutex)
  std::vector<std::shared_ptr<Slot>> slots_;

  std::mutex reconcile_mu_;  // one pass at a time

  std::mutex mu_;  // guards the fields below
  std::condition_variable wake_;
  std::condition_variable pass_done_;
  bool stop_ = false;
  bool running_ = false;
  std::set<std::string> forced_;
  int64_t requested_pass_ = 0;
  int64_t finished_pass_ = 0;
  std::thread thread_;
};

}  // namespace mlpipe::serving
