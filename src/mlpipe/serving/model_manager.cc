#include "mlpipe/serving/model_manager.h"

#include <fmt/format.h>

#include <chrono>

namespace mlpipe::serving {

LoadDecision DecideLoad(const SlotSnapshot& slot, const StatusOr<ResolvedModel>& desired, bool forced) {
  const std::string live = slot.live_version.empty() ? "none" : "version " + slot.live_version;
  if (slot.unloaded && !forced) {
    // An operator who unloaded a model meant it to stop serving: polling the
    // source (an alias that moves included) never brings it back.
    return {LoadAction::kKeep,
            std::string(kUnloadedReason) +
                (desired.ok() ? "; the source now names version " + desired->version : "")};
  }
  if (!desired.ok()) {
    return {LoadAction::kKeep, fmt::format("cannot resolve the desired version ({}); keeping {}",
                                           desired.status().message(), live)};
  }
  const std::string& want = desired->version;
  if (want == slot.live_version && !slot.unloaded) return {LoadAction::kKeep, "version " + want + " is live"};
  if (want == slot.failed_version && !forced) {
    return {LoadAction::kKeep,
            fmt::format("version {} failed to load before; keeping {} until the desired version "
                        "changes or a load is forced",
                        want, live)};
  }
  if (slot.live_version.empty() || slot.unloaded) return {LoadAction::kLoad, "loading version " + want};
  return {LoadAction::kLoad, fmt::format("desired version moved {} -> {}", slot.live_version, want)};
}

const char* ServableStateName(ServableState state) {
  switch (state) {
    case ServableState::kNew:
      return "new";
    case ServableState::kLoading:
      return "loading";
    case ServableState::kAvailable:
      return "available";
    case ServableState::kError:
      return "error";
    case ServableState::kUnloaded:
      return "unloaded";
  }
  return "unknown";
}

struct ModelManager::Slot {
  std::string key;
  std::string model_name;

  mutable std::mutex mu;  // guards everything below
  ModelSpec spec;         // changes only by PrepareServable, once the new spec's version is live
  std::shared_ptr<const ServedModel> live;
  ServableStatus status;
  bool unloaded = false;
  Status last_pass;  // the result of this slot in the last pass
};

ModelManager::ModelManager(ManagerOptions options) : options_(std::move(options)) {
  if (options_.loader == nullptr) {
    own_loader_ = std::make_unique<PackageLoader>();
    options_.loader = own_loader_.get();
  }
  if (options_.clock == nullptr) options_.clock = &RealClock();
}

ModelManager::~ModelManager() { Stop(); }

std::shared_ptr<ModelManager::Slot> ModelManager::MakeSlot(const std::string& key,
                                                           const std::string& model_name,
                                                           const ModelSpec& spec) {
  auto slot = std::make_shared<Slot>();
  slot->key = key;
  slot->model_name = model_name;
  slot->spec = spec;
  slot->status.key = key;
  slot->status.model_name = model_name;
  slot->status.spec = spec.ToString();
  return slot;
}

void ModelManager::AddServable(const std::string& key, const std::string& model_name, ModelSpec spec) {
  std::unique_lock<std::shared_mutex> lock(slots_mu_);
  for (const auto& s : slots_) {
    if (s->key == key) return;
  }
  slots_.push_back(MakeSlot(key, model_name, spec));
}

std::shared_ptr<ModelManager::Slot> ModelManager::FindSlot(const std::string& key) const {
  std::shared_lock<std::shared_mutex> lock(slots_mu_);
  for (const auto& s : slots_) {
    if (s->key == key) return s;
  }
  return nullptr;
}

std::vector<std::shared_ptr<ModelManager::Slot>> ModelManager::SlotList() const {
  std::shared_lock<std::shared_mutex> lock(slots_mu_);
  return slots_;
}

bool ModelManager::HasServable(const std::string& key) const { return FindSlot(key) != nullptr; }

Status ModelManager::PrepareServable(const std::string& key, const std::string& model_name,
                                     const ModelSpec& spec) {
  std::lock_guard<std::mutex> pass(reconcile_mu_);  // no polling pass meanwhile
  std::shared_ptr<Slot> slot = FindSlot(key);
  const bool is_new = slot == nullptr;
  if (is_new) {
    slot = MakeSlot(key, model_name, spec);
  } else {
    std::lock_guard<std::mutex> lock(slot->mu);
    if (slot->spec.ToString() == spec.ToString() && slot->live) return OkStatus();
  }
  ReconcileSlot(*slot, spec, /*forced=*/true);
  {
    std::lock_guard<std::mutex> lock(slot->mu);
    if (!slot->live || slot->spec.ToString() != spec.ToString()) {
      Status why = slot->last_pass.ok() ? UnavailableError(slot->status.last_reason) : slot->last_pass;
      return why.WithContext(fmt::format("variant {} ({})", key, spec.ToString()));
    }
    slot->status.spec = spec.ToString();
  }
  if (is_new) {
    std::unique_lock<std::shared_mutex> lock(slots_mu_);
    slots_.push_back(std::move(slot));
  }
  return OkStatus();
}

void ModelManager::RemoveServable(const std::string& key) {
  std::shared_ptr<Slot> gone;  // freed outside the lock
  std::unique_lock<std::shared_mutex> lock(slots_mu_);
  for (auto it = slots_.begin(); it != slots_.end(); ++it) {
    if ((*it)->key == key) {
      gone = std::move(*it);
      slots_.erase(it);
      break;
    }
  }
}

LoadDecision ModelManager::ReconcileSlot(Slot& slot, const ModelSpec& spec, bool forced) {
  StatusOr<ResolvedModel> desired = options_.source->Resolve(spec);
  SlotSnapshot snap;
  {
    std::lock_guard<std::mutex> lock(slot.mu);
    snap.live_version = slot.live ? slot.live->version() : "";
    snap.failed_version = slot.status.failed_version;
    snap.unloaded = slot.unloaded;
  }
  LoadDecision d = DecideLoad(snap, desired, forced);
  {
    std::lock_guard<std::mutex> lock(slot.mu);
    slot.status.last_reason = d.reason;
    slot.last_pass = desired.ok() ? OkStatus() : desired.status();
    if (!desired.ok()) slot.status.last_error = desired.status().ToString();
    // A new spec resolving to the live version needs no load.
    if (d.action == LoadAction::kKeep && desired.ok() && slot.live) slot.spec = spec;
    if (d.action == LoadAction::kKeep) return d;
    if (!slot.live) slot.status.state = ServableState::kLoading;
  }
  // Load and warm off the request path; the live version keeps serving.
  const int64_t start = options_.clock->MonotonicNanos();
  auto loaded = options_.loader->Load(desired->package_dir);
  LoadEvent ev;
  ev.key = slot.key;
  ev.model_name = slot.model_name;
  ev.version = desired->version;
  ev.seconds = static_cast<double>(options_.clock->MonotonicNanos() - start) / 1e9;
  ev.ok = loaded.ok();
  ev.reason = d.reason;
  std::shared_ptr<const ServedModel> old;  // released outside the lock
  {
    std::lock_guard<std::mutex> lock(slot.mu);
    slot.status.last_load_seconds = ev.seconds;
    if (loaded.ok()) {
      old = std::move(slot.live);
      slot.live = ServedModel::Make(desired->version, desired->package_dir, std::move(loaded).value());
      slot.spec = spec;
      slot.unloaded = false;
      slot.status.state = ServableState::kAvailable;
      slot.status.live_version = desired->version;
      slot.status.failed_version.clear();
      slot.status.last_error.clear();
      ++slot.status.loads;
      slot.last_pass = OkStatus();
    } else {
      ev.error = loaded.status().ToString();
      slot.status.failed_version = desired->version;
      slot.status.last_error = fmt::format("version {} failed to load: {}", desired->version, ev.error);
      ++slot.status.load_failures;
      if (!slot.live) slot.status.state = ServableState::kError;
      slot.last_pass = loaded.status();
      d.reason += "; load failed: " + ev.error;
      slot.status.last_reason = d.reason;
    }
  }
  old.reset();
  if (options_.on_load) options_.on_load(ev);
  return d;
}

std::vector<LoadDecision> ModelManager::ReconcileForced(const std::set<std::string>& forced_models) {
  std::lock_guard<std::mutex> lock(reconcile_mu_);
  std::vector<LoadDecision> out;
  for (const auto& slot : SlotList()) {
    ModelSpec spec;
    {
      std::lock_guard<std::mutex> slot_lock(slot->mu);
      spec = slot->spec;
    }
    out.push_back(ReconcileSlot(*slot, spec, forced_models.count(slot->model_name) > 0));
  }
  return out;
}

std::vector<LoadDecision> ModelManager::ReconcileOnce(const std::string& force_model) {
  std::set<std::string> forced;
  if (!force_model.empty()) forced.insert(force_model);
  return ReconcileForced(forced);
}

void ModelManager::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (running_) return;
  running_ = true;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void ModelManager::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_) return;
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
  finished_pass_ = requested_pass_;  // nobody waits forever
  pass_done_.notify_all();
}

void ModelManager::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::nanoseconds(options_.poll_interval_ns),
                   [&] { return stop_ || requested_pass_ > finished_pass_; });
    if (stop_) break;
    std::set<std::string> forced = std::move(forced_);
    forced_.clear();
    const int64_t target = requested_pass_;
    lock.unlock();
    ReconcileForced(forced);
    lock.lock();
    finished_pass_ = target;
    pass_done_.notify_all();
  }
}

Status ModelManager::PassResult(const std::string& model_name) const {
  for (const auto& slot : SlotList()) {
    if (slot->model_name != model_name) continue;
    std::lock_guard<std::mutex> lock(slot->mu);
    if (!slot->last_pass.ok()) return slot->last_pass.WithContext(slot->key);
  }
  return OkStatus();
}

Status ModelManager::Reload(const std::string& model_name, int64_t timeout_ns) {
  bool known = false;
  for (const auto& s : SlotList()) known = known || s->model_name == model_name;
  if (!known) return NotFoundError("no model '" + model_name + "' is served here");
  std::unique_lock<std::mutex> lock(mu_);
  if (!running_) {
    lock.unlock();
    ReconcileOnce(model_name);
    return PassResult(model_name);
  }
  forced_.insert(model_name);
  const int64_t mine = ++requested_pass_;
  wake_.notify_all();
  if (!pass_done_.wait_for(lock, std::chrono::nanoseconds(timeout_ns),
                           [&] { return finished_pass_ >= mine; })) {
    return DeadlineExceededError("reload of '" + model_name + "' still running");
  }
  lock.unlock();
  return PassResult(model_name);
}

Status ModelManager::Unload(const std::string& model_name) {
  bool known = false;
  for (const auto& slot : SlotList()) {
    if (slot->model_name != model_name) continue;
    known = true;
    std::shared_ptr<const ServedModel> old;
    std::lock_guard<std::mutex> lock(slot->mu);
    old = std::move(slot->live);
    slot->unloaded = true;
    slot->status.state = ServableState::kUnloaded;
    slot->status.live_version.clear();
    slot->status.last_reason = kUnloadedReason;
  }
  if (!known) return NotFoundError("no model '" + model_name + "' is served here");
  return OkStatus();
}

std::shared_ptr<const ServedModel> ModelManager::Get(const std::string& key) const {
  std::shared_ptr<Slot> slot = FindSlot(key);
  if (slot == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(slot->mu);
  return slot->live;
}

std::vector<ServableStatus> ModelManager::Statuses() const {
  std::vector<ServableStatus> out;
  for (const auto& slot : SlotList()) {
    std::lock_guard<std::mutex> lock(slot->mu);
    out.push_back(slot->status);
  }
  return out;
}

bool ModelManager::AllAvailable() const {
  const auto slots = SlotList();
  for (const auto& slot : slots) {
    std::lock_guard<std::mutex> lock(slot->mu);
    if (!slot->live) return false;
  }
  return !slots.empty();
}

}  // namespace mlpipe::serving
