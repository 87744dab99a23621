#include "mlpipe/deploy/run_gate.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/deploy/arms.h"

namespace mlpipe::deploy {
namespace {

using metadata::Event;
using metadata::EventKind;

// The newest execution of `step` in the run, if any.
std::optional<metadata::Execution> StepExecution(const std::vector<metadata::Execution>& execs,
                                                 const std::string& step) {
  std::optional<metadata::Execution> found;
  for (const auto& e : execs) {
    if (e.step == step) found = e;
  }
  return found;
}

std::optional<Event> FindEvent(const std::vector<Event>& events, EventKind kind, const std::string& name) {
  for (const auto& ev : events) {
    if (ev.kind == kind && ev.name == name) return ev;
  }
  return std::nullopt;
}

// KEY in a metrics JSON document: a top-level name, a dotted path, or under
// "metrics" (the built-in evaluate's layout).
std::optional<double> LookUp(const nlohmann::json& doc, const std::string& key) {
  for (const nlohmann::json* root : {&doc, doc.contains("metrics") ? &doc["metrics"] : nullptr}) {
    if (root == nullptr || !root->is_object()) continue;
    if (auto it = root->find(key); it != root->end() && it->is_number()) return it->get<double>();
    const nlohmann::json* at = root;
    bool found = true;
    for (const std::string& part : Split(key, '.')) {
      if (!at->is_object() || !at->contains(part)) {
        found = false;
        break;
      }
      at = &(*at)[part];
    }
    if (found && at->is_number()) return at->get<double>();
  }
  return std::nullopt;
}

StatusOr<std::optional<double>> GateMetric(metadata::MetadataStore& db, store::ObjectStore& objects,
                                           const std::vector<metadata::Execution>& execs,
                                           const spec::GateSpec& g) {
  auto exec = StepExecution(execs, g.step);
  if (!exec) return std::optional<double>();
  ASSIGN_OR_RETURN(std::vector<metadata::Metric> recorded, db.MetricsForExecutions({exec->id}));
  for (const std::string& name : {g.key, g.output + "." + g.key}) {
    for (const auto& m : recorded) {
      if (m.name == name && !m.step) return std::optional<double>(m.value);
    }
  }
  ASSIGN_OR_RETURN(std::vector<Event> events, db.EventsForExecution(exec->id));
  auto out = FindEvent(events, EventKind::kOutput, g.output);
  if (!out) return std::optional<double>();
  ASSIGN_OR_RETURN(std::string path, objects.Materialize(out->ref));
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  return LookUp(doc, g.key);
}

// A decision of this run about `deploy`'s model (version 0: not registered).
metadata::Decision RunDecision(const spec::DeploySpec& deploy, const std::string& kind, bool pass,
                               int64_t version, int64_t run_id) {
  metadata::Decision d;
  d.time_ns = RealClock().WallNanos();
  d.kind = kind;
  d.deployment = deploy.deployment;
  d.model = deploy.model;
  if (version > 0) d.model_version = version;
  d.run_id = run_id;
  d.verdict = pass ? "pass" : "fail";
  return d;
}

// The decision record of one gate.
metadata::Decision GateDecision(const spec::DeploySpec& deploy, const GateResult& r, int64_t version,
                                int64_t run_id) {
  metadata::Decision d = RunDecision(deploy, "gate", r.pass, version, run_id);
  d.reason = r.reason;
  d.inputs = r.inputs.dump();
  d.thresholds = r.thresholds.dump();
  d.statistics = r.statistics.dump();
  d.seed = r.seed;
  return d;
}

// The deployment a model that passed its gates goes to: created, serving
// MODEL@champion, when it does not exist yet (`mlpipe serve --deployment
// NAME` can follow it from then on).
Status EnsureDeployment(metadata::DeploymentStore& store, const spec::DeploySpec& deploy, int64_t decision_id,
                        int64_t now) {
  auto current = store.GetDeployment(deploy.deployment);
  if (current.ok() || current.status().code() != StatusCode::kNotFound) return current.status();
  metadata::DeploymentRevision r;
  r.name = deploy.deployment;
  r.model = deploy.model;
  r.config = DefaultDeployment(deploy.deployment, deploy.model).ToJson().dump();
  r.source = "deploy: block";
  r.actor = "server";
  r.reason = fmt::format("created for the first model of {} that passed its gates", deploy.model);
  r.decision_id = decision_id;
  r.created_ns = now;
  return store.PutDeployment(r, std::nullopt).status();
}

}  // namespace

StatusOr<std::map<std::string, double>> GatherGateMetrics(metadata::MetadataStore& db,
                                                          store::ObjectStore& objects,
                                                          const spec::DeploySpec& deploy, int64_t run_id) {
  std::map<std::string, double> metrics;
  ASSIGN_OR_RETURN(std::vector<metadata::Execution> execs, db.ListExecutions(run_id));
  for (const spec::GateSpec& g : deploy.gates) {
    if (g.kind != spec::GateSpec::Kind::kThreshold) continue;
    ASSIGN_OR_RETURN(std::optional<double> v, GateMetric(db, objects, execs, g));
    if (v) metrics[fmt::format("{}.{}.{}", g.step, g.output, g.key)] = *v;
  }
  return metrics;
}

StatusOr<GateContext> GatherGateContext(metadata::MetadataStore& db, store::ObjectStore& objects,
                                        const spec::DeploySpec& deploy, const std::string& model_ref,
                                        int64_t run_id) {
  GateContext ctx;
  ASSIGN_OR_RETURN(std::vector<metadata::Execution> execs, db.ListExecutions(run_id));
  ctx.candidate.ref = model_ref;
  ASSIGN_OR_RETURN(ctx.candidate.path, objects.Materialize(model_ref));
  ASSIGN_OR_RETURN(ctx.metrics, GatherGateMetrics(db, objects, deploy, run_id));
  for (const spec::GateSpec& g : deploy.gates) {
    if (g.kind == spec::GateSpec::Kind::kThreshold) continue;
    if (!ctx.aliases.count(g.beats)) {
      auto mv = db.ResolveModel(fmt::format("{}@{}", deploy.model, g.beats));
      if (mv.ok()) {
        ModelAt at{mv->version, mv->ref, ""};
        ASSIGN_OR_RETURN(at.path, objects.Materialize(mv->ref));
        ctx.aliases[g.beats] = at;
      } else if (mv.status().code() != StatusCode::kNotFound) {
        return mv.status();
      }
    }
    if (!ctx.tests.count(g.eval_step)) {
      auto exec = StepExecution(execs, g.eval_step);
      if (!exec) continue;
      ASSIGN_OR_RETURN(std::vector<Event> events, db.EventsForExecution(exec->id));
      auto test = FindEvent(events, EventKind::kInput, "test");
      if (!test) continue;
      DatasetAt at{test->ref, ""};
      ASSIGN_OR_RETURN(at.path, objects.Materialize(test->ref));
      ctx.tests[g.eval_step] = at;
    }
  }
  // The champion is looked up even when no gate beats it: without one, the
  // candidate becomes it.
  if (!ctx.aliases.count("champion")) {
    auto mv = db.ResolveModel(deploy.model + "@champion");
    if (mv.ok()) {
      ctx.aliases["champion"] = ModelAt{mv->version, mv->ref, ""};
    } else if (mv.status().code() != StatusCode::kNotFound) {
      return mv.status();
    }
  }
  return ctx;
}

StatusOr<std::optional<engine::GateVerdict>> RunGate::Decide(metadata::MetadataStore& db,
                                                             store::ObjectStore& objects,
                                                             const spec::PipelineSpec& spec,
                                                             const spec::RegisterSpec& reg,
                                                             const std::string& model_ref, int64_t run_id) {
  if (!spec.deploy || spec.deploy->model != reg.model) return std::optional<engine::GateVerdict>();
  deploy_ = *spec.deploy;
  ASSIGN_OR_RETURN(ctx_, GatherGateContext(db, objects, *deploy_, model_ref, run_id));
  engine::GateVerdict v;
  // Aliases the deploy: block does not manage stay as the entry says.
  for (const std::string& a : reg.aliases) {
    if (a != "champion" && a != "candidate" && a != "rejected" && a != "previous") v.aliases.push_back(a);
  }
  // A run that trained the champion again (nothing changed: a triggered rerun,
  // or a challenger identical to it) has nothing to gate or roll out, and its
  // aliases must not move (it would be `rejected` for not beating itself).
  if (auto champion = ctx_.aliases.find("champion");
      champion != ctx_.aliases.end() && champion->second.ref == model_ref) {
    same_as_champion_ = true;
    v.reason = fmt::format("the model is the champion v{} itself (same content): no gate, no rollout",
                           champion->second.version);
    if (json_) {
      *out_ << nlohmann::json{{"event", "gates_skipped"}, {"model", reg.model}, {"reason", v.reason}}.dump()
            << "\n";
    } else {
      *out_ << v.reason << "\n";
    }
    return std::optional<engine::GateVerdict>(std::move(v));
  }
  same_as_champion_ = false;
  ASSIGN_OR_RETURN(report_, EvaluateGates(*deploy_, ctx_));
  for (const GateResult& r : report_.results) {
    if (json_) {
      *out_ << nlohmann::json{{"event", "gate"}, {"model", reg.model}, {"pass", r.pass}, {"reason", r.reason}}
                   .dump()
            << "\n";
    } else {
      *out_ << fmt::format("{} {}\n", r.pass ? "passed" : "FAILED", r.reason);
    }
  }
  if (report_.pass) {
    v.aliases.push_back(report_.first_model ? "champion" : "candidate");
    v.reason = report_.Summary();
  } else if (deploy_->register_rejected) {
    v.aliases.push_back("rejected");
    v.reason = report_.Summary();
  } else {
    v.register_model = false;
    v.reason = "the deploy gates failed: " + report_.Summary();
  }
  return std::optional<engine::GateVerdict>(std::move(v));
}

Status RunGate::Registered(const spec::RegisterSpec& reg, int64_t version, int64_t run_id) {
  if (!deploy_ || deploy_->model != reg.model || same_as_champion_) return OkStatus();
  const spec::DeploySpec& deploy = *deploy_;
  RETURN_IF_ERROR(deployments_->Begin());
  auto body = [&]() -> Status {
    for (const GateResult& r : report_.results) {
      RETURN_IF_ERROR(deployments_->RecordDecision(GateDecision(deploy, r, version, run_id)).status());
    }
    metadata::Decision d = RunDecision(deploy, "gates", report_.pass, version, run_id);
    nlohmann::json inputs = {{"candidate", {{"ref", ctx_.candidate.ref}, {"version", version}}}};
    if (auto it = ctx_.aliases.find("champion"); it != ctx_.aliases.end()) {
      inputs["champion"] = {{"ref", it->second.ref}, {"version", it->second.version}};
    }
    d.inputs = inputs.dump();
    std::string next;
    std::optional<int64_t> rollout_id;
    if (!report_.pass) {
      next = version > 0 ? fmt::format("; v{} gets alias rejected", version) : "; not registered";
    } else if (report_.first_model) {
      next = fmt::format("; v{} is the first model: it becomes the champion", version);
    } else if (deploy.rollout.strategy == spec::RolloutStrategy::kManual) {
      next = fmt::format("; v{} is the candidate (strategy manual: `mlpipe deployments promote {}`)", version,
                         deploy.deployment);
    } else {
      metadata::Rollout ro;
      ro.deployment = deploy.deployment;
      ro.model = deploy.model;
      ro.candidate_version = version;
      if (auto it = ctx_.aliases.find("champion"); it != ctx_.aliases.end())
        ro.champion_version = it->second.version;
      ro.run_id = run_id;
      ro.policy = deploy.rollout.ToJson().dump();
      ro.state = "infra_gate";
      ro.created_ns = ro.updated_ns = d.time_ns;
      ASSIGN_OR_RETURN(int64_t id, deployments_->CreateRollout(ro));
      rollout_id = id;
      d.rollout_id = id;
      next = fmt::format("; v{} is the candidate: rollout {} queued ({})", version, id,
                         spec::RolloutStrategyName(deploy.rollout.strategy));
    }
    d.reason = report_.Summary() + next;
    ASSIGN_OR_RETURN(int64_t decision_id, deployments_->RecordDecision(d));
    if (report_.pass && version > 0)
      RETURN_IF_ERROR(EnsureDeployment(*deployments_, deploy, decision_id, d.time_ns));
    if (json_) {
      nlohmann::json j = {{"event", "gates"},
                          {"model", reg.model},
                          {"pass", report_.pass},
                          {"decision", decision_id},
                          {"reason", d.reason}};
      if (version > 0) j["version"] = version;
      if (rollout_id) j["rollout"] = *rollout_id;
      *out_ << j.dump() << "\n";
    } else {
      *out_ << fmt::format("gates {} (decision {}){}\n", report_.pass ? "passed" : "failed", decision_id,
                           next);
    }
    return OkStatus();
  };
  Status s = body();
  if (!s.ok()) {
    (void)deployments_->Rollback();
    return s;
  }
  return deployments_->Commit();
}

}  // namespace mlpipe::deploy
