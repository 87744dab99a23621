#include "mlpipe/server/rollout_controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <set>

#include "mlpipe/deploy/arms.h"
#include "mlpipe/deploy/judge.h"
#include "mlpipe/metadata/deployment_view.h"
#include "mlpipe/server/rollout_order.h"

namespace mlpipe::server {
namespace {

using json = nlohmann::json;

constexpr int64_t kScanNs = 500'000'000;     // how often the rollouts table is read
constexpr int64_t kRetryNs = 1'000'000'000;  // a look that could not read the serve process

}  // namespace

RolloutController::RolloutController(const store::Workspace& ws, metadata::DeploymentStore& store,
                                     metadata::MetadataStore& db, ServeClient& serve, EventBus& bus,
                                     Clock& clock, RolloutControllerOptions options)
    : ws_(ws), store_(store), db_(db), serve_(serve), bus_(bus), clock_(clock), options_(options) {}

int64_t RolloutController::NextDueNs() const {
  int64_t due = next_scan_ns_;
  for (const auto& [id, at] : next_look_ns_) due = std::min(due, at);
  return due;
}

void RolloutController::Publish(const metadata::Rollout& r, const std::string& what,
                                const std::string& reason) {
  bus_.Publish({.kind = what,
                .data = json{{"deployment", r.deployment},
                             {"rollout", r.id},
                             {"model", r.model},
                             {"candidate_version", r.candidate_version},
                             {"state", r.state},
                             {"reason", reason}}
                            .dump()});
}

void RolloutController::Tick() {
  const int64_t now = clock_.WallNanos();
  bool due = now >= next_scan_ns_;
  for (const auto& [id, at] : next_look_ns_) due = due || now >= at;
  if (!due) return;
  next_scan_ns_ = now + kScanNs;
  auto all = store_.ListRollouts("", false);
  if (!all.ok()) return;
  // The newest active rollout of a deployment is the one carried out; an
  // older active one was superseded; an A/B not yet started waits for a
  // rollout of another strategy (rollout_order.h).
  const std::map<int64_t, RolloutPlan> plan = PlanRollouts(*all);
  std::set<int64_t> active_ids;
  for (metadata::Rollout& r : *all) {  // newest first
    if (!r.InFlight()) continue;
    const RolloutPlan role = plan.at(r.id);
    if (role.role == RolloutRole::kSupersede) {
      const std::string why = fmt::format("superseded by a newer rollout of deployment {} (rollout {})",
                                          r.deployment, role.other);
      (void)Decide(r, "rollout.cancel", "done", why, json::object(), json::object(), json::object());
      (void)Save(r, "cancelled", now, why);
      Publish(r, "rollout.cancelled", why);
      continue;
    }
    active_ids.insert(r.id);
    if (role.role == RolloutRole::kWait) {
      if (r.state != "waiting") InTransaction(r, [&] { return Wait(r, role.other, *all, now); });
      continue;
    }
    if (r.state == "waiting") {
      InTransaction(r, [&] { return EndWait(r, now); });
      if (r.state == "waiting") continue;  // not ended: tried again next scan
    }
    auto at = next_look_ns_.find(r.id);
    if (at != next_look_ns_.end() && now < at->second) continue;
    auto policy = spec::RolloutSpec::FromJson(metadata::StoredJson(r.policy));
    if (!policy.ok()) {
      (void)Save(r, "halted", now, "its policy cannot be read: " + policy.status().message());
      continue;
    }
    next_look_ns_[r.id] = now + policy->analysis_interval_ns;
    pending_reloads_.clear();
    const RolloutObservation seen = Observe(r);
    Status s = store_.Begin();
    if (s.ok()) s = Advance(r, *policy, now, seen);
    s = EndTransaction(r, s);
    if (!s.ok()) {
      if (last_problem_[r.id] != s.message()) Publish(r, "rollout.problem", s.message());
      last_problem_[r.id] = s.message();
      next_look_ns_[r.id] = now + kRetryNs;
    }
  }
  for (auto it = next_look_ns_.begin(); it != next_look_ns_.end();) {
    it = active_ids.count(it->first) ? std::next(it) : next_look_ns_.erase(it);
  }
}

Status RolloutController::EndTransaction(const metadata::Rollout& r, Status s) {
  if (s.ok()) {
    s = store_.Commit();
  } else {
    (void)store_.Rollback();
  }
  // Reloads go out after the commit: the serve process reads the record.
  for (const std::string& dep : pending_reloads_) {
    Status rs = serve_.Reload(dep);
    if (!rs.ok())
      Publish(r, "rollout.problem", "reload: " + rs.message() + " (the serve process polls instead)");
  }
  return s;
}

void RolloutController::InTransaction(const metadata::Rollout& r, const std::function<Status()>& body) {
  Status s = store_.Begin();
  if (s.ok()) s = body();
  if (s.ok()) {
    s = store_.Commit();
  } else {
    (void)store_.Rollback();
  }
  if (!s.ok()) Publish(r, "rollout.problem", s.message());
}

Status RolloutController::Wait(metadata::Rollout& r, int64_t blocker_id,
                               const std::vector<metadata::Rollout>& all, int64_t now) {
  std::string what = fmt::format("rollout {}", blocker_id);
  for (const metadata::Rollout& b : all) {
    if (b.id != blocker_id) continue;
    auto policy = spec::RolloutSpec::FromJson(metadata::StoredJson(b.policy));
    what = fmt::format("rollout {} ({} of v{}, {})", b.id,
                       policy.ok() ? spec::RolloutStrategyName(policy->strategy) : "rollout",
                       b.candidate_version, b.state);
  }
  const std::string why = fmt::format(
      "A/B of v{} waits: {} of deployment {} is in flight; the A/B then faces the champion that results",
      r.candidate_version, what, r.deployment);
  ASSIGN_OR_RETURN(int64_t id, Decide(r, "rollout.wait", "wait", why, {{"waits_for", blocker_id}},
                                      json::object(), json::object()));
  (void)id;
  Publish(r, "rollout.waiting", why);
  return Save(r, "waiting", now, why);
}

Status RolloutController::EndWait(metadata::Rollout& r, int64_t now) {
  // The champion now is the one the A/B faces (and that becomes `previous`
  // if the A/B's candidate is promoted).
  auto champion = db_.ResolveModel(r.model + "@champion");
  if (champion.ok()) {
    r.champion_version = champion->version;
  } else if (champion.status().code() != StatusCode::kNotFound) {
    return champion.status();
  }
  const std::string why =
      champion.ok() ? fmt::format(
                          "A/B of v{} starts: no other rollout of deployment {} is in flight; it faces "
                          "the champion v{}",
                          r.candidate_version, r.deployment, champion->version)
                    : fmt::format("A/B of v{} starts: no other rollout of deployment {} is in flight",
                                  r.candidate_version, r.deployment);
  ASSIGN_OR_RETURN(int64_t id,
                   Decide(r, "rollout.wait", "done", why,
                          {{"champion_version", champion.ok() ? json(champion->version) : json()}},
                          json::object(), json::object()));
  (void)id;
  Publish(r, "rollout.resumed", why);
  r.detail.clear();  // the infrastructure gate begins
  return Save(r, "infra_gate", now);
}

RolloutObservation RolloutController::Observe(const metadata::Rollout& r) {
  RolloutObservation seen;
  seen.counters = Counters(r.deployment);
  // The replay is due once the candidate arm serves the candidate.
  if (r.state == "infra_gate" && !r.detail.empty() && seen.counters.ok()) {
    auto live = seen.counters->live_versions.find(deploy::kCandidateArm);
    if (live != seen.counters->live_versions.end() && live->second == std::to_string(r.candidate_version)) {
      const std::vector<std::string> bodies =
          RecentLoggedRequests(ws_, r.deployment, options_.replay_requests);
      seen.replayed = bodies.size();
      if (bodies.empty()) {
        seen.replay = std::vector<ReplayAnswer>{};
      } else {
        seen.replay = serve_.Replay(r.deployment, r.model, std::to_string(r.candidate_version), bodies);
      }
    }
  }
  return seen;
}

Status RolloutController::Advance(metadata::Rollout& r, const spec::RolloutSpec& policy, int64_t now,
                                  const RolloutObservation& seen) {
  if (r.state == "infra_gate") return InfraGate(r, policy, now, seen);
  if (r.state == "promoting") return FinishPromotion(r, now, seen);
  return Look(r, policy, now, seen);
}

StatusOr<deploy::DeploymentCounters> RolloutController::Counters(const std::string& deployment) {
  ASSIGN_OR_RETURN(json stats, serve_.Stats(deployment));
  return deploy::DeploymentCounters::FromJson(stats);
}

Status RolloutController::Save(metadata::Rollout& r, const std::string& state, int64_t now,
                               const std::string& detail) {
  r.state = state;
  if (!detail.empty()) r.detail = detail;
  r.updated_ns = now;
  return store_.UpdateRollout(r);
}

StatusOr<int64_t> RolloutController::Decide(const metadata::Rollout& r, const std::string& kind,
                                            const std::string& verdict, const std::string& reason,
                                            const json& inputs, const json& thresholds,
                                            const json& statistics) {
  metadata::Decision d;
  d.time_ns = clock_.WallNanos();
  d.kind = kind;
  d.deployment = r.deployment;
  d.model = r.model;
  d.model_version = r.candidate_version;
  d.run_id = r.run_id;
  d.rollout_id = r.id;
  d.verdict = verdict;
  d.reason = reason;
  d.inputs = inputs.dump();
  d.thresholds = thresholds.dump();
  d.statistics = statistics.dump();
  d.actor = "server";
  return store_.RecordDecision(d);
}

StatusOr<int64_t> RolloutController::SetWeights(const metadata::Rollout& r, int64_t candidate_version,
                                                double percent, const std::string& source,
                                                const std::string& reason, int64_t decision_id,
                                                const std::string& sticky_header, bool shadow) {
  serving::DeploymentConfig config;
  std::optional<int64_t> expected;
  auto current = store_.GetDeployment(r.deployment);
  if (current.ok()) {
    ASSIGN_OR_RETURN(config, serving::DeploymentConfig::FromJson(metadata::StoredJson(current->config)));
    expected = current->revision;
  } else if (current.status().code() == StatusCode::kNotFound) {
    config = deploy::DefaultDeployment(r.deployment, r.model);
  } else {
    return current.status();
  }
  if (shadow) {
    deploy::SetShadowArm(&config, candidate_version);
  } else {
    deploy::SetArms(&config, candidate_version, percent);
  }
  if (!sticky_header.empty()) config.sticky_header = sticky_header;
  metadata::DeploymentRevision next;
  next.name = r.deployment;
  next.model = r.model;
  next.config = config.ToJson().dump();
  next.source = source;
  next.actor = "server";
  next.reason = reason;
  if (decision_id > 0) next.decision_id = decision_id;
  next.created_ns = clock_.WallNanos();
  ASSIGN_OR_RETURN(int64_t revision, store_.PutDeployment(next, expected));
  pending_reloads_.insert(r.deployment);
  return revision;
}

Status RolloutController::InfraGate(metadata::Rollout& r, const spec::RolloutSpec& policy, int64_t now,
                                    const RolloutObservation& seen) {
  // The candidate arm at weight 0: loaded and warmed, no traffic.
  if (r.detail.empty()) {
    RETURN_IF_ERROR(SetWeights(r, r.candidate_version, 0, fmt::format("rollout {} infra gate", r.id),
                               fmt::format("candidate v{} loads at weight 0 for the infrastructure gate",
                                           r.candidate_version),
                               0, policy.sticky_header)
                        .status());
    r.step_started_ns = now;
    Publish(r, "rollout.started", fmt::format("candidate v{}: infrastructure gate", r.candidate_version));
    return Save(r, "infra_gate", now, "loading the candidate");
  }
  if (!seen.counters.ok()) return seen.counters.status();
  if (!seen.replay) {
    if (now - r.step_started_ns < options_.infra_timeout_ns) return OkStatus();  // still loading
    const std::string why = fmt::format("infra gate: candidate v{} did not load within {}s",
                                        r.candidate_version, options_.infra_timeout_ns / 1000000000);
    ASSIGN_OR_RETURN(int64_t id,
                     Decide(r, "infra_gate", "fail", why, {{"candidate_version", r.candidate_version}},
                            {{"timeout_ns", options_.infra_timeout_ns}}, json::object()));
    return RollBack(r, why, id, now);
  }
  if (!seen.replay->ok()) return seen.replay->status();
  const std::vector<ReplayAnswer>& answers = **seen.replay;
  json stats = {{"replayed", seen.replayed}};
  bool pass = true;
  std::string why;
  if (seen.replayed == 0) {
    why = fmt::format("infra gate: candidate v{} loaded; no logged requests to replay", r.candidate_version);
  } else {
    size_t failed = 0, slow = 0;
    double slowest = 0;
    for (const ReplayAnswer& a : answers) {
      failed += a.code != 200;
      slow += a.seconds > options_.replay_max_seconds;
      slowest = std::max(slowest, a.seconds);
    }
    stats["failed"] = failed;
    stats["slow"] = slow;
    stats["slowest_s"] = slowest;
    pass = failed == 0 && slow == 0;
    why = fmt::format(
        "infra gate: candidate v{} answered {} replayed requests: {} failed, {} slower than {:g}s "
        "(slowest {:.1f} ms)",
        r.candidate_version, answers.size(), failed, slow, options_.replay_max_seconds, 1000 * slowest);
  }
  ASSIGN_OR_RETURN(int64_t id,
                   Decide(r, "infra_gate", pass ? "pass" : "fail", why,
                          {{"candidate_version", r.candidate_version}, {"requests", seen.replayed}},
                          {{"max_seconds", options_.replay_max_seconds}}, stats));
  if (!pass) return RollBack(r, why, id, now);
  if (policy.strategy == spec::RolloutStrategy::kShadowThenCanary) return StartShadow(r, policy, now);
  return StartStep(r, policy, 0, now, id);
}

Status RolloutController::StartShadow(metadata::Rollout& r, const spec::RolloutSpec& policy, int64_t now) {
  const std::string why = fmt::format(
      "shadow phase: candidate v{} predicts a copy of every request (its answers are never returned); the "
      "champion answers all of them",
      r.candidate_version);
  ASSIGN_OR_RETURN(int64_t id, Decide(r, "rollout.step", "done", why, {{"phase", "shadow"}}, {{"percent", 0}},
                                      json::object()));
  ASSIGN_OR_RETURN(int64_t revision,
                   SetWeights(r, r.candidate_version, 0, fmt::format("rollout {} shadow", r.id), why, id,
                              policy.sticky_header, /*shadow=*/true));
  // The first look once the serve process applies `revision` (the shadow is
  // live) takes the baseline.
  r.baseline = json{{"await_revision", revision}}.dump();
  r.step_index = -1;
  r.step_started_ns = now;
  r.min_p = "{}";
  Publish(r, "rollout.shadow", why);
  return Save(r, "running", now, why);
}

Status RolloutController::StartStep(metadata::Rollout& r, const spec::RolloutSpec& policy, size_t index,
                                    int64_t now, int64_t /*decision_id*/) {
  const double percent = policy.steps[index];
  const std::string why = fmt::format("step {} of {}: candidate v{} gets {:g} % of the traffic", index + 1,
                                      policy.steps.size(), r.candidate_version, percent);
  ASSIGN_OR_RETURN(int64_t id, Decide(r, "rollout.step", "done", why, {{"step_index", index}},
                                      {{"percent", percent}}, json::object()));
  ASSIGN_OR_RETURN(int64_t revision, SetWeights(r, r.candidate_version, percent,
                                                fmt::format("rollout {} step {}", r.id, index + 1), why, id,
                                                policy.sticky_header));
  // The first look once the serve process applies `revision` (the new
  // weights are live) takes the baseline: requests routed by the previous
  // weights never count against this step's split.
  r.baseline = json{{"await_revision", revision}}.dump();
  r.step_index = static_cast<int>(index);
  r.step_started_ns = now;
  r.min_p = "{}";
  Publish(r, "rollout.step", why);
  return Save(r, "running", now, why);
}

Status RolloutController::Look(metadata::Rollout& r, const spec::RolloutSpec& policy, int64_t now,
                               const RolloutObservation& seen) {
  if (!seen.counters.ok()) return seen.counters.status();
  deploy::DeploymentCounters counters = *seen.counters;
  const json stored_base = metadata::StoredJson(r.baseline);
  if (const int64_t awaited = stored_base.value("await_revision", int64_t{0});
      awaited > 0 && counters.revision < awaited && now - r.step_started_ns < policy.max_step_time_ns) {
    // The serve process still routes by the previous weights: no window yet.
    // (Past max_step_time the look goes on, and too little traffic pauses.)
    return Save(r, "running", now);
  }
  auto base = deploy::DeploymentCounters::FromJson(stored_base);
  if (!base.ok() || base->started_ns == 0 || base->started_ns != counters.started_ns) {
    // No baseline yet, or the serve process restarted (its counters began
    // again at zero, under this step's weights): the window starts here or
    // at the restart.
    deploy::DeploymentCounters fresh;
    fresh.started_ns = counters.started_ns;
    if (!base.ok() || base->started_ns == 0) fresh = counters;
    r.baseline = fresh.ToJson().dump();
    base = fresh;
  }
  ASSIGN_OR_RETURN(json current, [&]() -> StatusOr<json> {
    auto rev = store_.GetDeployment(r.deployment);
    if (!rev.ok()) return rev.status();
    return metadata::StoredJson(rev->config);
  }());
  ASSIGN_OR_RETURN(serving::DeploymentConfig config, serving::DeploymentConfig::FromJson(current));
  const std::string champion_arm = deploy::ChampionArm(config);
  deploy::StepLook look;
  look.policy = policy;
  look.shadow = r.step_index < 0;  // the shadow phase: the candidate arm is the shadow
  look.step_index = look.shadow ? 0 : static_cast<size_t>(r.step_index);
  look.candidate = counters.variants[deploy::kCandidateArm].Minus(base->variants[deploy::kCandidateArm]);
  look.champion = counters.variants[champion_arm].Minus(base->variants[champion_arm]);
  look.elapsed_ns = now - r.step_started_ns;
  look.min_p = metadata::StoredJson(r.min_p);
  const deploy::Judgement j = deploy::JudgeStep(look);
  r.min_p = j.min_p.dump();
  ASSIGN_OR_RETURN(int64_t id,
                   Decide(r, look.shadow ? "rollout.shadow" : "rollout.judge", deploy::VerdictName(j.verdict),
                          j.reason, look.ToJson(), j.thresholds, {{"checks", j.checks}, {"min_p", j.min_p}}));
  switch (j.verdict) {
    case deploy::Verdict::kWait:
      return Save(r, "running", now);
    case deploy::Verdict::kPause:
      if (r.state != "paused") Publish(r, "rollout.paused", j.reason);
      return Save(r, "paused", now, j.reason);
    case deploy::Verdict::kPass:
      if (look.shadow) return StartStep(r, policy, 0, now, id);
      if (static_cast<size_t>(r.step_index) + 1 < policy.steps.size()) {
        return StartStep(r, policy, static_cast<size_t>(r.step_index) + 1, now, id);
      }
      return Promote(r, id, now);
    case deploy::Verdict::kFail:
      if (policy.on_failure == spec::RolloutSpec::OnFailure::kHold) {
        Publish(r, "rollout.held", j.reason);
        return Save(r, "held", now, j.reason);
      }
      return RollBack(r, j.reason, id, now);
    case deploy::Verdict::kHalt:
      RETURN_IF_ERROR(SetWeights(r, r.candidate_version, 0, fmt::format("rollout {} halted", r.id), j.reason,
                                 id, policy.sticky_header)
                          .status());
      Publish(r, "rollout.halted", j.reason);
      return Save(r, "halted", now, j.reason);
  }
  return OkStatus();
}

namespace {

// Alias `candidate` leaves version `version` once its rollout has ended
// (promoted: it is the champion now; rolled back: it is rejected): a later
// reader of `candidate` never finds a model that is no longer one. A
// candidate alias already moved to a newer version stays where it is.
Status ClearCandidateAlias(metadata::MetadataStore& db, const std::string& model, int64_t version,
                           const std::string& why, int64_t now) {
  auto current = db.ResolveModel(model + "@candidate");
  if (!current.ok()) return current.status().code() == StatusCode::kNotFound ? OkStatus() : current.status();
  if (current->version != version) return OkStatus();
  return db.DeleteAlias(model, "candidate", why, now).status();
}

}  // namespace

Status RolloutController::RollBack(metadata::Rollout& r, const std::string& reason, int64_t decision_id,
                                   int64_t now) {
  RETURN_IF_ERROR(
      SetWeights(r, 0, 0, fmt::format("rollout {} rolled back", r.id), reason, decision_id, "").status());
  auto moved = db_.SetAlias(r.model, "rejected", r.candidate_version, "rolled back: " + reason, now);
  if (!moved.ok()) return moved.status();
  RETURN_IF_ERROR(ClearCandidateAlias(db_, r.model, r.candidate_version, "rolled back: " + reason, now));
  ASSIGN_OR_RETURN(int64_t id, Decide(r, "rollback", "done",
                                      fmt::format("candidate v{} rolled back (alias rejected): {}",
                                                  r.candidate_version, reason),
                                      {{"judgement", decision_id}}, json::object(), json::object()));
  (void)id;
  Publish(r, "rollout.rolled_back", reason);
  return Save(r, "rolled_back", now, reason);
}

Status RolloutController::Promote(metadata::Rollout& r, int64_t decision_id, int64_t now, std::string why) {
  if (why.empty())
    why = fmt::format("candidate v{} passed every step: alias champion moves to it", r.candidate_version);
  if (r.champion_version && *r.champion_version != r.candidate_version) {
    RETURN_IF_ERROR(db_.SetAlias(r.model, "previous", *r.champion_version, why, now).status());
  }
  RETURN_IF_ERROR(db_.SetAlias(r.model, "champion", r.candidate_version, why, now).status());
  RETURN_IF_ERROR(ClearCandidateAlias(db_, r.model, r.candidate_version, why, now));
  ASSIGN_OR_RETURN(
      int64_t id,
      Decide(r, "promote", "done",
             r.champion_version ? fmt::format("{}; v{} becomes previous", why, *r.champion_version) : why,
             {{"judgement", decision_id}}, json::object(), json::object()));
  (void)id;
  pending_reloads_.insert(r.deployment);
  Publish(r, "rollout.promoting", why);
  return Save(r, "promoting", now, why);
}

Status RolloutController::FinishPromotion(metadata::Rollout& r, int64_t now, const RolloutObservation& seen) {
  auto rev = store_.GetDeployment(r.deployment);
  if (!rev.ok()) return rev.status();
  ASSIGN_OR_RETURN(serving::DeploymentConfig config,
                   serving::DeploymentConfig::FromJson(metadata::StoredJson(rev->config)));
  if (!seen.counters.ok()) return seen.counters.status();
  deploy::DeploymentCounters counters = *seen.counters;
  const bool serving_new =
      counters.live_versions[deploy::ChampionArm(config)] == std::to_string(r.candidate_version);
  if (!serving_new && now - r.updated_ns < options_.infra_timeout_ns)
    return OkStatus();  // the alias swap is loading
  const std::string why =
      serving_new
          ? fmt::format("the champion arm serves v{}: the candidate arm is removed", r.candidate_version)
          : fmt::format("the champion arm did not show v{} within {}s; the candidate arm is removed anyway",
                        r.candidate_version, options_.infra_timeout_ns / 1000000000);
  ASSIGN_OR_RETURN(int64_t id,
                   Decide(r, "promoted", "done", why, json::object(), json::object(), json::object()));
  RETURN_IF_ERROR(SetWeights(r, 0, 0, fmt::format("rollout {} promoted", r.id), why, id, "").status());
  Publish(r, "rollout.promoted", why);
  return Save(r, "promoted", now, why);
}

Status RolloutController::ByRequest(
    int64_t id, const std::string& action, const std::string& who,
    const std::function<bool(const metadata::Rollout&)>& allowed, const char* allowed_text,
    const std::function<Status(metadata::Rollout&, int64_t, const std::string&, int64_t)>& act) {
  ASSIGN_OR_RETURN(metadata::Rollout r, store_.GetRollout(id));
  if (!allowed(r)) {
    return FailedPreconditionError(
        fmt::format("rollout {} is {}: only a rollout that is {} can be asked to {}", id, r.state,
                    allowed_text, action));
  }
  const int64_t now = clock_.WallNanos();
  const std::string why = fmt::format("{} requested by {}", action, who);
  pending_reloads_.clear();
  Status s = store_.Begin();
  if (s.ok()) {
    auto decided = Decide(r, fmt::format("rollout.{}_request", action), "done", why,
                          {{"state_before", r.state}, {"step_index", r.step_index}}, json::object(),
                          json::object());
    s = decided.ok() ? act(r, *decided, why, now) : decided.status();
  }
  s = EndTransaction(r, s);
  // A promotion is finished by the next look: due now.
  if (s.ok() && r.state == "promoting") next_look_ns_[r.id] = now;
  return s;
}

Status RolloutController::RollBackByRequest(int64_t id, const std::string& who) {
  return ByRequest(
      id, "rollback", who, [](const metadata::Rollout& r) { return r.InFlight() && r.state != "promoting"; },
      "in flight and not promoting",
      [this](metadata::Rollout& r, int64_t decision_id, const std::string& why, int64_t now) {
        return RollBack(r, why, decision_id, now);
      });
}

Status RolloutController::PromoteByRequest(int64_t id, const std::string& who) {
  // Not from the infrastructure gate: a candidate that has not shown it
  // loads and answers is never given the champion's traffic.
  return ByRequest(
      id, "promote", who,
      [](const metadata::Rollout& r) { return r.state == "running" || r.state == "paused"; }, "running or paused",
      [this](metadata::Rollout& r, int64_t decision_id, const std::string& why, int64_t now) {
        return Promote(r, decision_id, now,
                       fmt::format("candidate v{} promoted by hand ({}): alias champion moves to it",
                                   r.candidate_version, why));
      });
}

}  // namespace mlpipe::server
