#include "mlpipe/server/trigger_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <utility>

#include "mlpipe/base/strings.h"
#include "mlpipe/spec/cron.h"

namespace mlpipe::server {
namespace {

using Kind = TriggerDef::Kind;

// "sha256:ab12cd34": enough of a digest for a reason.
std::string ShortRef(const std::string& ref) {
  if (ref.empty()) return "(absent)";
  return ref.size() > 15 ? ref.substr(0, 15) : ref;
}

// "2026-12-07 03:00" in local time: a slot is a whole minute.
std::string SlotText(int64_t ns) { return FormatWallTime(ns).substr(0, 16); }

bool PathIsUnder(const std::string& path, const std::string& root) {
  return path == root ||
         (path.size() > root.size() && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/');
}

bool IsGroup(const TriggerDef& t) { return t.kind == Kind::kAll || t.kind == Kind::kAny; }

// The leaves under `t` (itself if it is one).
void Leaves(const TriggerDef& t, std::vector<const TriggerDef*>& out) {
  if (!IsGroup(t)) {
    out.push_back(&t);
    return;
  }
  for (const TriggerDef& c : t.children) Leaves(c, out);
}

constexpr int64_t kEngineNsPerSec = 1'000'000'000;

}  // namespace

TriggerEngine::TriggerEngine(std::vector<PipelineDef> pipelines, metadata::ControlStore& store,
                             TriggerProbes& probes, Clock& clock, TriggerEngineOptions options)
    : pipelines_(std::move(pipelines)), store_(store), probes_(probes), clock_(clock), options_(options) {}

const PipelineDef* TriggerEngine::FindPipeline(const std::string& name) const {
  for (const PipelineDef& p : pipelines_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::set<std::string> TriggerEngine::WatchedPaths() const {
  std::set<std::string> out;
  for (const PipelineDef& p : pipelines_) {
    for (const TriggerDef& top : p.triggers) {
      std::vector<const TriggerDef*> leaves;
      Leaves(top, leaves);
      for (const TriggerDef* t : leaves) {
        if (t->kind == Kind::kOnChange) out.insert(t->paths.begin(), t->paths.end());
      }
    }
  }
  return out;
}

StatusOr<std::optional<std::string>> TriggerEngine::State(const PipelineDef& p, const TriggerDef& t,
                                                          const std::string& key) {
  return store_.GetTriggerState(p.name, t.id, key);
}

Status TriggerEngine::SetState(const PipelineDef& p, const TriggerDef& t, const std::string& key,
                               const std::string& value) {
  return store_.SetTriggerState(p.name, t.id, key, value, clock_.WallNanos());
}

Status TriggerEngine::Start() {
  const int64_t now = clock_.WallNanos();
  next_poll_ns_ = now;
  Pass pass;
  pass.kinds = {Kind::kSchedule, Kind::kOnChange, Kind::kOnCommit, Kind::kOnModel};
  pass.at_start = true;
  ASSIGN_OR_RETURN(auto fired, RunPass(pass));
  (void)fired;
  return OkStatus();
}

StatusOr<std::vector<int64_t>> TriggerEngine::Tick() {
  const int64_t now = clock_.WallNanos();
  // Nothing due (the common pass): no transaction at all.
  if (now < next_wake_ns_) return std::vector<int64_t>();
  Pass pass;
  pass.kinds = {Kind::kSchedule};
  if (now >= next_poll_ns_) {
    pass.kinds.insert({Kind::kOnCommit, Kind::kOnModel, Kind::kSinceLastRun});
    if (options_.poll_paths) pass.kinds.insert(Kind::kOnChange);
    next_poll_ns_ = now + options_.poll_interval_ns;
  }
  return RunPass(pass);
}

StatusOr<std::vector<int64_t>> TriggerEngine::PathsChanged(const std::set<std::string>& paths) {
  Pass pass;
  pass.kinds = {Kind::kOnChange};
  pass.paths = &paths;
  return RunPass(pass);
}

Status TriggerEngine::InTransaction(const std::function<Status()>& body) {
  RETURN_IF_ERROR(store_.Begin());
  pending_challenger_fires_.clear();
  Status s = body();
  if (s.ok()) s = store_.Commit();
  if (!s.ok()) {
    (void)store_.Rollback();
    pending_challenger_fires_.clear();
    return s;
  }
  challenger_fires_.insert(challenger_fires_.end(), pending_challenger_fires_.begin(),
                           pending_challenger_fires_.end());
  pending_challenger_fires_.clear();
  return OkStatus();
}

std::vector<int64_t> TriggerEngine::TakeChallengerFires() { return std::exchange(challenger_fires_, {}); }

StatusOr<std::vector<int64_t>> TriggerEngine::RunPass(const Pass& pass) {
  std::vector<int64_t> fired;
  auto body = [&]() -> Status {
    for (const PipelineDef& p : pipelines_) {
      for (const TriggerDef& top : p.triggers) {
        std::vector<const TriggerDef*> leaves;
        Leaves(top, leaves);
        std::vector<Seen> seen;
        bool relevant = top.kind == Kind::kAll && pass.kinds.count(Kind::kSinceLastRun) > 0;
        for (const TriggerDef* leaf : leaves) {
          if (pass.kinds.count(leaf->kind) == 0) continue;
          relevant = true;
          RETURN_IF_ERROR(CheckLeaf(p, *leaf, pass, seen));
        }
        if (relevant) RETURN_IF_ERROR(Evaluate(p, top, seen, false, fired));
      }
    }
    return OkStatus();
  };
  if (Status s = InTransaction(body); !s.ok()) {
    next_slot_.clear();  // what was rolled back is read again from the store
    ComputeNextWake();
    return s;
  }
  ComputeNextWake();
  return fired;
}

Status TriggerEngine::CheckLeaf(const PipelineDef& p, const TriggerDef& t, const Pass& pass,
                                std::vector<Seen>& seen) {
  switch (t.kind) {
    case Kind::kSchedule:
      return CheckSchedule(p, t, pass.at_start, seen);
    case Kind::kOnChange:
      return CheckPaths(p, t, pass.paths, seen);
    case Kind::kOnCommit:
      return CheckCommit(p, t, seen);
    case Kind::kOnModel:
      return CheckModel(p, t, seen);
    default:
      return OkStatus();  // webhooks and drift come from outside; since_last_run is a condition
  }
}

Status TriggerEngine::CheckSchedule(const PipelineDef& p, const TriggerDef& t, bool at_start,
                                    std::vector<Seen>& seen) {
  const int64_t now = clock_.WallNanos();
  const std::string key = p.name + "/" + t.id;
  auto due = next_slot_.find(key);
  if (!at_start && due != next_slot_.end() && now < due->second) return OkStatus();
  auto parsed = crons_.find(key);
  if (parsed == crons_.end()) {
    ASSIGN_OR_RETURN(spec::CronSchedule c, spec::CronSchedule::Parse(t.cron));
    parsed = crons_.emplace(key, std::move(c)).first;
  }
  const spec::CronSchedule& cron = parsed->second;
  ASSIGN_OR_RETURN(auto stored, State(p, t, "last_slot"));
  if (!stored) {
    // First sight: from now on; nothing before the server knew of it is missed.
    RETURN_IF_ERROR(SetState(p, t, "last_slot", std::to_string(now)));
    next_slot_[key] = cron.NextAfter(now);
    return OkStatus();
  }
  const int64_t last = std::stoll(*stored);
  int64_t next = cron.NextAfter(last);
  if (next > now) {
    next_slot_[key] = next;
    return OkStatus();
  }
  // Slots up to now: one fire for all of them (never a backlog), for the
  // newest; "missed" when it is not the slot just reached.
  int64_t slot = next;
  int skipped = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const int64_t after = cron.NextAfter(slot);
    if (after > now) break;
    slot = after;
    ++skipped;
  }
  const bool missed = at_start || skipped > 0 || now - slot > 60 * kEngineNsPerSec;
  std::string reason = fmt::format("schedule {} ({})", cron.Describe(), SlotText(slot));
  if (missed) reason += skipped > 0 ? fmt::format(" missed, with {} earlier slots", skipped) : " missed";
  RETURN_IF_ERROR(SetState(p, t, "last_slot", std::to_string(slot)));
  next_slot_[key] = cron.NextAfter(slot);
  seen.push_back({&t, std::move(reason)});
  return OkStatus();
}

Status TriggerEngine::CheckPaths(const PipelineDef& p, const TriggerDef& t, const std::set<std::string>* only,
                                 std::vector<Seen>& seen) {
  std::vector<std::string> changes;
  for (size_t i = 0; i < t.paths.size(); ++i) {
    const std::string& path = t.paths[i];
    if (only != nullptr) {
      bool hit = false;
      for (const std::string& c : *only) hit = hit || PathIsUnder(c, path) || PathIsUnder(path, c);
      if (!hit) continue;
    }
    ASSIGN_OR_RETURN(std::string digest, probes_.Digest(path));
    ASSIGN_OR_RETURN(auto before, State(p, t, path));
    if (before && *before == digest) continue;  // a touch, or a change undone
    RETURN_IF_ERROR(SetState(p, t, path, digest));
    if (!before) continue;  // the baseline
    const std::string shown = i < t.shown_paths.size() ? t.shown_paths[i] : path;
    changes.push_back(fmt::format("{} {} -> {}", shown, ShortRef(*before), ShortRef(digest)));
  }
  if (!changes.empty()) seen.push_back({&t, fmt::format("on_change {}", Join(changes, ", "))});
  return OkStatus();
}

Status TriggerEngine::CheckCommit(const PipelineDef& p, const TriggerDef& t, std::vector<Seen>& seen) {
  ASSIGN_OR_RETURN(auto head, probes_.Head(t.repo, t.branch));
  if (!head) return OkStatus();
  ASSIGN_OR_RETURN(auto before, State(p, t, "head"));
  if (before && *before == head->sha) return OkStatus();
  RETURN_IF_ERROR(SetState(p, t, "head", head->sha));
  if (!before) return OkStatus();
  ASSIGN_OR_RETURN(auto files, probes_.ChangedFiles(t.repo, *before, head->sha));
  std::vector<std::string> touched;
  for (const std::string& f : files) {
    bool ours = false;
    for (const std::string& c : p.code_files) ours = ours || PathIsUnder(c, f) || f == c;
    if (ours)
      touched.push_back(f.size() > p.dir.size() && PathIsUnder(f, p.dir) ? f.substr(p.dir.size() + 1) : f);
  }
  if (touched.empty()) return OkStatus();
  seen.push_back({&t, fmt::format("commit {} by {} touches {}", head->sha.substr(0, 7), head->author,
                                  Join(touched, ", "))});
  return OkStatus();
}

Status TriggerEngine::CheckModel(const PipelineDef& p, const TriggerDef& t, std::vector<Seen>& seen) {
  ASSIGN_OR_RETURN(auto version, probes_.AliasVersion(t.model, t.alias));
  const std::string now_text = version ? std::to_string(*version) : "";
  ASSIGN_OR_RETURN(auto before, State(p, t, "version"));
  if (before && *before == now_text) return OkStatus();
  RETURN_IF_ERROR(SetState(p, t, "version", now_text));
  if (!before || now_text.empty()) return OkStatus();
  seen.push_back({&t, fmt::format("on_model {}@{} {} -> v{}", t.model, t.alias,
                                  before->empty() ? "(none)" : "v" + *before, now_text)});
  return OkStatus();
}

Status TriggerEngine::Evaluate(const PipelineDef& p, const TriggerDef& top, const std::vector<Seen>& seen,
                               bool force, std::vector<int64_t>& fired) {
  ASSIGN_OR_RETURN(bool paused, Paused(p.name, top.id));
  if (paused && !force) return OkStatus();
  if (top.kind != Kind::kAll) {
    if (seen.empty()) return OkStatus();
    std::vector<std::string> reasons;
    for (const Seen& s : seen) reasons.push_back(s.reason);
    ASSIGN_OR_RETURN(int64_t id, RecordFire(p, top.id, Join(reasons, "; "), force));
    fired.push_back(id);
    return OkStatus();
  }
  // all: each event member keeps its pending reason until the group fires.
  for (const Seen& s : seen) RETURN_IF_ERROR(SetState(p, top, "pending/" + s.trigger->id, s.reason));
  std::vector<const TriggerDef*> leaves;
  Leaves(top, leaves);
  std::vector<std::string> reasons;
  for (const TriggerDef* leaf : leaves) {
    if (leaf->kind == Kind::kSinceLastRun) {
      ASSIGN_OR_RETURN(int64_t last, probes_.LastRunStartNs(p.name));
      const int64_t age = clock_.WallNanos() - last;
      if (last != 0 && age < leaf->since_ns) return OkStatus();
      reasons.push_back(last == 0 ? "no earlier run"
                                  : fmt::format("last run {:.1f} h ago", static_cast<double>(age) / 3.6e12));
      continue;
    }
    ASSIGN_OR_RETURN(auto pending, State(p, top, "pending/" + leaf->id));
    if (!pending || pending->empty()) return OkStatus();
    reasons.push_back(*pending);
  }
  for (const TriggerDef* leaf : leaves) {
    if (leaf->kind != Kind::kSinceLastRun) RETURN_IF_ERROR(SetState(p, top, "pending/" + leaf->id, ""));
  }
  ASSIGN_OR_RETURN(int64_t id, RecordFire(p, top.id, fmt::format("all of: {}", Join(reasons, "; ")), force));
  fired.push_back(id);
  return OkStatus();
}

StatusOr<int64_t> TriggerEngine::RecordFire(const PipelineDef& p, const std::string& trigger_id,
                                            const std::string& reason, bool force,
                                            const std::string& params) {
  metadata::TriggerFire fire;
  fire.pipeline = p.name;
  fire.trigger_id = trigger_id;
  fire.reason = reason;
  fire.fired_ns = clock_.WallNanos();
  fire.force = force;
  fire.params = params;
  ASSIGN_OR_RETURN(
      auto queued,
      store_.ListFires(
          {.pipeline = p.name, .states = {metadata::FireState::kQueued}, .before_id = 0, .limit = 1}));
  // Params ask for a run of their own: never folded into another fire's run,
  // nor another fire into theirs.
  if (!queued.empty() && !force && params.empty() && queued[0].params.empty()) {
    fire.state = metadata::FireState::kCoalesced;
    fire.detail = fmt::format("coalesced into fire {}, already queued", queued[0].id);
  }
  ASSIGN_OR_RETURN(int64_t id, store_.RecordFire(fire));
  // A coalesced fire starts no run: the challengers' fires of the queued one
  // it joined stand for it.
  if (fire.state != metadata::FireState::kQueued) return id;
  for (const PipelineDef& c : pipelines_) {
    if (c.challenger_of != p.name || c.name == p.name) continue;
    ASSIGN_OR_RETURN(
        int64_t paired,
        RecordFire(c, "challenger_of", fmt::format("challenger_of {}: fire {} ({})", p.name, id, reason),
                   /*force=*/false));
    pending_challenger_fires_.push_back(paired);
  }
  return id;
}

StatusOr<int64_t> TriggerEngine::Webhook(const std::string& pipeline, const std::string& trigger_id,
                                         const std::string& from, bool force, const std::string& params) {
  const PipelineDef* p = FindPipeline(pipeline);
  if (p == nullptr) return NotFoundError(fmt::format("no pipeline '{}'", pipeline));
  std::vector<int64_t> fired;
  auto body = [&]() -> Status {
    if (trigger_id.empty()) {
      ASSIGN_OR_RETURN(int64_t id,
                       RecordFire(*p, "api", fmt::format("manual fire from {}", from), force, params));
      fired.push_back(id);
      return OkStatus();
    }
    for (const TriggerDef& top : p->triggers) {
      std::vector<const TriggerDef*> leaves;
      Leaves(top, leaves);
      for (const TriggerDef* leaf : leaves) {
        if (leaf->kind != Kind::kWebhook || leaf->id != trigger_id) continue;
        ASSIGN_OR_RETURN(bool paused, Paused(p->name, top.id));
        if (paused && !force) {
          return FailedPreconditionError(
              fmt::format("trigger '{}' of pipeline '{}' is paused (resume it, or fire with force=true)",
                          top.id, pipeline));
        }
        std::vector<Seen> seen = {{leaf, fmt::format("webhook {} from {}", trigger_id, from)}};
        RETURN_IF_ERROR(Evaluate(*p, top, seen, force, fired));
        return OkStatus();
      }
    }
    return NotFoundError(fmt::format("pipeline '{}' has no webhook trigger '{}'", pipeline, trigger_id));
  };
  RETURN_IF_ERROR(InTransaction(body));
  // An all: group waiting for other members records no fire yet.
  return fired.empty() ? int64_t{0} : fired.front();
}

StatusOr<std::vector<int64_t>> TriggerEngine::Drift(const std::string& deployment,
                                                    const std::string& reason) {
  std::vector<int64_t> fired;
  auto body = [&]() -> Status {
    for (const PipelineDef& p : pipelines_) {
      for (const TriggerDef& top : p.triggers) {
        std::vector<const TriggerDef*> leaves;
        Leaves(top, leaves);
        std::vector<Seen> seen;
        for (const TriggerDef* leaf : leaves) {
          if (leaf->kind == Kind::kOnDrift && leaf->deployment == deployment) {
            seen.push_back({leaf, fmt::format("on_drift {}: {}", deployment, reason)});
          }
        }
        if (!seen.empty()) RETURN_IF_ERROR(Evaluate(p, top, seen, false, fired));
      }
    }
    return OkStatus();
  };
  RETURN_IF_ERROR(InTransaction(body));
  return fired;
}

Status TriggerEngine::SetPaused(const std::string& pipeline, const std::string& trigger_id, bool paused) {
  const PipelineDef* p = FindPipeline(pipeline);
  if (p == nullptr) return NotFoundError(fmt::format("no pipeline '{}'", pipeline));
  bool top_level = false;
  for (const TriggerDef& t : p->triggers) top_level = top_level || t.id == trigger_id;
  if (!top_level)
    return NotFoundError(fmt::format("pipeline '{}' has no trigger '{}'", pipeline, trigger_id));
  return store_.SetTriggerState(pipeline, trigger_id, "paused", paused ? "1" : "0", clock_.WallNanos());
}

StatusOr<bool> TriggerEngine::Paused(const std::string& pipeline, const std::string& trigger_id) {
  ASSIGN_OR_RETURN(auto v, store_.GetTriggerState(pipeline, trigger_id, "paused"));
  return v && *v == "1";
}

void TriggerEngine::ComputeNextWake() {
  int64_t wake = next_poll_ns_;
  for (const PipelineDef& p : pipelines_) {
    for (const TriggerDef& top : p.triggers) {
      std::vector<const TriggerDef*> leaves;
      Leaves(top, leaves);
      for (const TriggerDef* t : leaves) {
        if (t->kind != Kind::kSchedule) continue;
        auto it = next_slot_.find(p.name + "/" + t->id);
        if (it != next_slot_.end()) wake = std::min(wake, it->second);
      }
    }
  }
  next_wake_ns_ = wake;
}

}  // namespace mlpipe::server
