// The server's own routes: health, pipelines, triggers (list, fire, pause,
// resume), fires, cancel, the monitoring record's series, the supervised
// serve processes (list, restart), /metrics; the
// token rule in front of every route. The record's read routes (runs,
// artifacts, models) are the API library's.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/metadata/deployment_view.h"
#include "mlpipe/metadata/open_store.h"
#include "mlpipe/server/api_error.h"
#include "mlpipe/server/api_handlers.h"
#include "mlpipe/server/api_query.h"
#include "mlpipe/server/api_routes.h"
#include "mlpipe/server/auth.h"
#include "mlpipe/server/deployment_routes.h"
#include "mlpipe/server/manual_run_params.h"
#include "mlpipe/server/server.h"
#include "mlpipe/server/ui_routes.h"
#include "mlpipe/spec/trigger_json.h"

namespace mlpipe::server {
namespace {

using json = nlohmann::json;
using serving::HttpRequest;
using serving::HttpResponse;

void Error(HttpResponse& res, int status, std::string_view code, std::string_view message) {
  SetApiError(res, status, code, message);
}

void Json(HttpResponse& res, int status, const json& body) {
  res.status = status;
  res.content_type = "application/json";
  res.body = body.dump();
}

// A state change refused by the state it meets (a paused trigger, a fire that
// already ended) is a 409 here; other codes as every route maps them.
void StatusError(HttpResponse& res, const Status& s) {
  if (s.code() == StatusCode::kFailedPrecondition) return SetApiError(res, 409, "conflict", s.message());
  SetApiError(res, s);
}

// Parses the optional JSON body of a mutating request ({"force": true}).
StatusOr<json> BodyOf(const HttpRequest& req) {
  if (req.body.empty()) return json::object();
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object())
    return InvalidArgumentError("the body must be a JSON object, e.g. {\"force\": true}");
  if (body.contains("force") && !body["force"].is_boolean()) {
    return InvalidArgumentError("\"force\" must be true or false");
  }
  return body;
}

// A top-level trigger as the API shows it: its spec, whether it is paused
// and, for a schedule, `next_fire_ns`: the slot after the last one fired, as
// the trigger engine computes it, from the same stored state (the engine's
// own map belongs to the loop thread). A slot already past fires on the
// engine's next tick; null when paused or not a schedule.
json TriggerStateJson(metadata::ControlStore& control, const std::string& pipeline,
                      const spec::TriggerSpec& t) {
  json tj = spec::TriggerToJson(t);
  auto paused = control.GetTriggerState(pipeline, t.id, "paused");
  const bool is_paused = paused.ok() && paused->has_value() && **paused == "1";
  tj["paused"] = is_paused;
  tj["next_fire_ns"] = nullptr;
  if (t.kind == spec::TriggerSpec::Kind::kSchedule && t.cron && !is_paused) {
    auto last = control.GetTriggerState(pipeline, t.id, "last_slot");
    int64_t after = RealClock().WallNanos();  // never seen yet: from now on, as the engine starts it
    if (last.ok() && last->has_value()) after = std::stoll(**last);
    tj["next_fire_ns"] = t.cron->NextAfter(after);
  }
  return tj;
}

json FireJson(const metadata::TriggerFire& f) {
  return {{"id", f.id},
          {"pipeline", f.pipeline},
          {"trigger", f.trigger_id},
          {"reason", f.reason},
          {"state", std::string(metadata::ToString(f.state))},
          {"detail", f.detail},
          {"run", f.run_id ? json(*f.run_id) : json()},
          {"fired_ns", f.fired_ns},
          {"started_ns", f.started_ns},
          {"ended_ns", f.ended_ns},
          {"force", f.force},
          {"resume_run", f.resume_run ? json(*f.resume_run) : json()},
          {"params", f.params.empty() ? json() : json::parse(f.params, nullptr, false)}};
}

// Connections of an HTTP worker thread (a connection is one thread's) to
// `location`, where everything is recorded (the server's metadata_location_).
struct ReadStores {
  std::string location;
  std::unique_ptr<metadata::ControlStore> control;
  std::unique_ptr<metadata::MetadataStore> db;
  std::unique_ptr<metadata::DeploymentStore> deployments;
};

StatusOr<ReadStores*> StoresFor(const std::string& location) {
  thread_local ReadStores stores;
  if (stores.location != location || !stores.control) {
    stores.control.reset();  // a failed open below must not leave a half-made set
    stores.deployments.reset();
    ASSIGN_OR_RETURN(stores.db, metadata::OpenMetadataStore(location));
    // On db's connection: a PostgreSQL database is then two connections per
    // worker thread, not three.
    ASSIGN_OR_RETURN(stores.deployments, metadata::SharingDeploymentStore(*stores.db));
    ASSIGN_OR_RETURN(stores.control, metadata::OpenControlStore(location));
    stores.location = location;
  }
  return &stores;
}

}  // namespace

void Server::Handle(const HttpRequest& req, HttpResponse& res) {
  // The UI's files carry no data: served without the token, as a login page
  // would be; the app then asks for the token where the API needs it.
  if (IsUiRequest(req)) return ServeUi(req, res);
  if (NeedsToken(loopback_, req.method) && !TokenMatches(req.header("Authorization"), token_)) {
    Error(res, 401, "unauthorized",
          req.method == "GET" ? "this server listens beyond loopback: every request needs its bearer token"
                              : "a request that changes state needs the server's bearer token "
                                "(Authorization: Bearer TOKEN; the token is in the server's --token-file)");
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
    return;
  }
  try {
    Route(req, res);
  } catch (const std::exception& e) {
    Error(res, 400, "bad_request", e.what());
  }
}

void Server::Route(const HttpRequest& req, HttpResponse& res) {
  auto segments = PathSegments(req.target);
  if (!segments.ok()) return StatusError(res, segments.status());
  const std::vector<std::string>& parts = *segments;
  auto params = QueryParams::FromTarget(req.target);
  if (!params.ok()) return StatusError(res, params.status());
  const QueryParams& query = *params;
  // pipelines_.defs and pipelines_.specs are parallel: a def's index is its spec's.
  auto find_pipeline = [&](const std::string& name) -> const PipelineDef* {
    for (const PipelineDef& d : pipelines_.defs) {
      if (d.name == name) return &d;
    }
    return nullptr;
  };
  const bool get = req.method == "GET";
  const bool post = req.method == "POST";
  auto method_not_allowed = [&](std::string_view allowed) {
    Error(res, 405, "method_not_allowed",
          fmt::format("{} {} is not a route; use {}", req.method, req.path, allowed));
    res.headers.emplace_back("Allow", std::string(allowed));
  };

  auto stores = StoresFor(metadata_location_);
  if (!stores.ok()) return StatusError(res, stores.status());
  metadata::ControlStore& control = *(*stores)->control;
  metadata::MetadataStore& db = *(*stores)->db;

  if (parts.size() == 1 && parts[0] == "metrics") {
    if (!get) return method_not_allowed("GET");
    res.status = 200;
    res.content_type = "text/plain; version=0.0.4";
    res.body = PrometheusText(control, *(*stores)->deployments);
    return;
  }
  if (parts.size() < 2 || parts[0] != "api" || parts[1] != "v1") {
    return Error(res, 404, "not_found", fmt::format("no route {} (the API is under /api/v1)", req.path));
  }
  const size_t n = parts.size();
  if (n == 2) {
    return Error(
        res, 404, "not_found",
        "no route /api/v1 itself: see /api/v1/health, /api/v1/pipelines, /api/v1/runs, /api/v1/events");
  }
  if (n == 3 && parts[2] == "health") {
    if (!get) return method_not_allowed("GET");
    auto queued = control.ListFires({.states = {metadata::FireState::kQueued}, .before_id = 0, .limit = 0});
    if (!queued.ok()) return StatusError(res, queued.status());
    return Json(res, 200,
                {{"status", stopping_ ? "stopping" : "ok"},
                 {"pipelines", pipelines_.defs.size()},
                 {"queued", queued->size()},
                 {"started_ns", started_ns_},
                 {"watcher", watcher_ ? "inotify" : "poll"}});
  }
  if (n == 3 && parts[2] == "events") {
    if (!get) return method_not_allowed("GET");
    return StreamEvents(req, res);
  }
  if (parts[2] == "pipelines") {
    if (n == 3) {
      if (!get) return method_not_allowed("GET");
      json out = json::array();
      for (size_t i = 0; i < pipelines_.defs.size(); ++i) {
        const PipelineDef& p = pipelines_.defs[i];
        json triggers = json::array();
        for (const spec::TriggerSpec& t : pipelines_.specs[i].triggers)
          triggers.push_back(TriggerStateJson(control, p.name, t));
        auto runs = db.ListRuns(5, p.name);
        json last = json::array();
        if (runs.ok()) {
          for (const auto& r : *runs) {
            last.push_back({{"id", r.id},
                            {"status", std::string(metadata::ToString(r.status))},
                            {"started_ns", r.started_ns},
                            {"ended_ns", r.ended_ns},
                            {"trigger", r.trigger}});
          }
        }
        out.push_back({{"name", p.name},
                       {"spec", p.spec_path},
                       {"triggers", triggers},
                       {"concurrency", p.concurrency},
                       {"cooldown_s", static_cast<double>(p.cooldown_ns) / 1e9},
                       {"max_runs_per_day", p.max_runs_per_day},
                       {"challenger_of", p.challenger_of.empty() ? json() : json(p.challenger_of)},
                       {"last_runs", last}});
      }
      return Json(res, 200, {{"pipelines", out}});
    }
    const PipelineDef* p = find_pipeline(parts[3]);
    if (p == nullptr)
      return Error(res, 404, "not_found", fmt::format("no pipeline '{}' on this server", parts[3]));
    if (n == 4) {
      if (!get) return method_not_allowed("GET");
      const spec::PipelineSpec& spec = pipelines_.specs[static_cast<size_t>(p - pipelines_.defs.data())];
      json steps = json::array();
      for (const spec::StepSpec& s : spec.steps) {
        json inputs = json::object();
        for (const auto& in : s.inputs) {
          const char* kind = in.kind == spec::InputBinding::Kind::kSource       ? "source"
                             : in.kind == spec::InputBinding::Kind::kStepOutput ? "step_output"
                                                                                : "model";
          inputs[in.name] = {{"kind", kind}, {"value", in.value}};
        }
        json outputs = json::array();
        for (const auto& o : s.outputs) outputs.push_back({{"name", o.name}, {"type", o.type.str()}});
        steps.push_back({{"name", s.name}, {"inputs", inputs}, {"outputs", outputs}, {"after", s.after}});
      }
      json triggers = json::array();
      for (const spec::TriggerSpec& t : spec.triggers)
        triggers.push_back(TriggerStateJson(control, p->name, t));
      return Json(res, 200,
                  {{"name", p->name},
                   {"spec", p->spec_path},
                   {"description", spec.description},
                   {"steps", steps},
                   {"triggers", triggers},
                   {"concurrency", p->concurrency},
                   {"cooldown_s", static_cast<double>(p->cooldown_ns) / 1e9},
                   {"max_runs_per_day", p->max_runs_per_day},
                   {"challenger_of", p->challenger_of.empty() ? json() : json(p->challenger_of)}});
    }
    if (n == 5 && parts[4] == "runs") {
      // POST: a manual run through the queue (recorded as a fire "api").
      if (!post) return method_not_allowed("POST");
      auto body = BodyOf(req);
      if (!body.ok()) return StatusError(res, body.status());
      const bool force = body->value("force", false);
      // {"params": {...}}: checked as `mlpipe run -p` checks them, before
      // anything is recorded (a bad one is a 400 naming it; nothing runs).
      std::string params;
      if (body->contains("params")) {
        const spec::PipelineSpec& spec = pipelines_.specs[static_cast<size_t>(p - pipelines_.defs.data())];
        auto checked = CheckManualRunParams(spec, (*body)["params"]);
        if (!checked.ok()) return StatusError(res, checked.status());
        if (!(*body)["params"].empty()) params = (*body)["params"].dump();
      }
      int64_t fire_id = 0;
      Status s = Call([&]() -> Status {
        ASSIGN_OR_RETURN(fire_id, engine_->Webhook(p->name, "", req.remote, force, params));
        PublishFires({fire_id});
        return OkStatus();
      });
      if (!s.ok()) return StatusError(res, s);
      auto fire = control.GetFire(fire_id);
      if (!fire.ok()) return StatusError(res, fire.status());
      return Json(res, 202, {{"fire", FireJson(*fire)}});
    }
  }
  if (parts[2] == "triggers") {
    if (n == 3) {
      if (!get) return method_not_allowed("GET");
      json out = json::array();
      for (size_t i = 0; i < pipelines_.defs.size(); ++i) {
        const PipelineDef& p = pipelines_.defs[i];
        for (const spec::TriggerSpec& t : pipelines_.specs[i].triggers) {
          json tj = TriggerStateJson(control, p.name, t);
          tj["pipeline"] = p.name;
          out.push_back(tj);
        }
      }
      return Json(res, 200, {{"triggers", out}});
    }
    const PipelineDef* p = find_pipeline(parts[3]);
    if (p == nullptr)
      return Error(res, 404, "not_found", fmt::format("no pipeline '{}' on this server", parts[3]));
    if (n == 5 && post) {
      // A webhook (or any trigger fired by hand: only webhooks are accepted).
      auto body = BodyOf(req);
      if (!body.ok()) return StatusError(res, body.status());
      const bool force = body->value("force", false);
      int64_t fire_id = 0;
      const std::string name = parts[4];
      Status s = Call([&]() -> Status {
        ASSIGN_OR_RETURN(fire_id, engine_->Webhook(p->name, name, req.remote, force));
        PublishFires({fire_id});
        return OkStatus();
      });
      if (!s.ok()) return StatusError(res, s);
      if (fire_id == 0)
        return Json(res, 202, {{"fire", nullptr}, {"note", "recorded; its all: group waits"}});
      auto fire = control.GetFire(fire_id);
      if (!fire.ok()) return StatusError(res, fire.status());
      return Json(res, 202, {{"fire", FireJson(*fire)}});
    }
    if (n == 6 && (parts[5] == "pause" || parts[5] == "resume")) {
      if (!post) return method_not_allowed("POST");
      const bool pause = parts[5] == "pause";
      const std::string id = parts[4];
      Status s = Call([&]() -> Status {
        RETURN_IF_ERROR(engine_->SetPaused(p->name, id, pause));
        bus_->Publish({.kind = pause ? "trigger.paused" : "trigger.resumed",
                       .pipeline = p->name,
                       .data = json{{"trigger", id}, {"by", req.remote}}.dump()});
        return OkStatus();
      });
      if (!s.ok()) return StatusError(res, s);
      return Json(res, 200, {{"pipeline", p->name}, {"trigger", id}, {"paused", pause}});
    }
    if (n == 4 && !get) return method_not_allowed("GET");
    if (n == 4) {
      const spec::PipelineSpec& spec = pipelines_.specs[static_cast<size_t>(p - pipelines_.defs.data())];
      json out = json::array();
      for (const spec::TriggerSpec& t : spec.triggers) out.push_back(TriggerStateJson(control, p->name, t));
      return Json(res, 200, {{"pipeline", p->name}, {"triggers", out}});
    }
    if (n == 5) return method_not_allowed("POST");
  }
  if (parts[2] == "fires") {
    if (n == 3) {
      if (!get) return method_not_allowed("GET");
      metadata::FireQuery q;
      Status checked = query.CheckAllowed({"pipeline", "state", "limit", "cursor"});
      if (!checked.ok()) return StatusError(res, checked);
      auto pipeline = query.Text("pipeline", "");
      auto state = query.One("state");
      auto limit = query.Int("limit", 50, 1, 1000);
      auto cursor = query.Int("cursor", 0, 0, INT64_MAX);
      for (const Status& st : {pipeline.status(), state.status(), limit.status(), cursor.status()}) {
        if (!st.ok()) return StatusError(res, st);
      }
      q.pipeline = *pipeline;
      if (*state != nullptr) {
        auto parsed = metadata::ParseFireState(**state);
        if (!parsed.ok()) {
          return Error(
              res, 400, "bad_request",
              fmt::format("parameter 'state' must be one of queued, coalesced, started, finished, skipped, "
                          "interrupted, cancelled, not '{}'",
                          **state));
        }
        q.states = {*parsed};
      }
      q.limit = static_cast<int>(*limit);
      q.before_id = *cursor;
      auto fires = control.ListFires(q);
      if (!fires.ok()) return StatusError(res, fires.status());
      json out = json::array();
      for (const auto& f : *fires) out.push_back(FireJson(f));
      json next =
          fires->size() == static_cast<size_t>(q.limit) ? json(std::to_string(fires->back().id)) : json();
      return Json(res, 200, {{"fires", out}, {"next_cursor", next}});
    }
    auto id = PathId(parts[3], "fire");
    if (!id.ok()) return StatusError(res, id.status());
    if (n == 4) {
      if (!get) return method_not_allowed("GET");
      auto fire = control.GetFire(*id);
      if (!fire.ok()) return StatusError(res, fire.status());
      return Json(res, 200, FireJson(*fire));
    }
    if (n == 5 && parts[4] == "cancel") {
      if (!post) return method_not_allowed("POST");
      Status s = Call([&]() { return queue_->CancelFire(*id, req.remote.empty() ? "the API" : req.remote); });
      if (!s.ok()) return StatusError(res, s);
      return Json(res, 202, {{"fire", *id}, {"cancelling", true}});
    }
  }
  if (parts[2] == "runs" && n == 5 && parts[4] == "cancel") {
    if (!post) return method_not_allowed("POST");
    auto run = PathId(parts[3], "run");
    if (!run.ok()) return StatusError(res, run.status());
    Status s = Call([&]() -> Status {
      ASSIGN_OR_RETURN(int64_t fire, queue_->FireOfRun(*run));
      return queue_->CancelFire(fire, req.remote.empty() ? "the API" : req.remote);
    });
    if (!s.ok()) return StatusError(res, s);
    return Json(res, 202, {{"run", *run}, {"cancelling", true}});
  }
  if (parts[2] == "serve" && n == 3) {
    // The --serve processes the server supervises.
    if (!get) return method_not_allowed("GET");
    json out = json::array();
    for (const ServeStatus& st : supervisor_->Snapshot()) {
      out.push_back({{"deployment", st.deployment},
                     {"serve", st.spec},
                     {"state", st.state},
                     {"pid", st.pid},
                     {"port", st.port},
                     {"up", st.up},
                     {"restarts", st.restarts},
                     {"replacing", st.replacing}});
    }
    return Json(res, 200, {{"serve", out}});
  }
  if (parts[2] == "deployments" && n == 5 && parts[4] == "restart") {
    // A zero-downtime replacement of the deployment's serve process.
    if (!post) return method_not_allowed("POST");
    int64_t old_pid = 0;
    Status s = Call([&]() -> Status {
      ASSIGN_OR_RETURN(
          old_pid, supervisor_->Restart(parts[3], fmt::format("requested by {}",
                                                              req.remote.empty() ? "the API" : req.remote)));
      return OkStatus();
    });
    if (!s.ok()) return StatusError(res, s);
    return Json(res, 202, {{"deployment", parts[3]}, {"pid", old_pid}, {"replacing", true}});
  }
  if (parts[2] == "series" && n == 3) {
    if (!get) return method_not_allowed("GET");
    Status checked = query.CheckAllowed({"name", "labels", "from_ns", "to_ns"});
    if (!checked.ok()) return StatusError(res, checked);
    auto name = query.Text("name", "");
    auto label_text = query.One("labels");
    auto from = query.Int("from_ns", 0, 0, INT64_MAX);
    auto to = query.Int("to_ns", INT64_MAX, 0, INT64_MAX);
    for (const Status& st : {name.status(), label_text.status(), from.status(), to.status()}) {
      if (!st.ok()) return StatusError(res, st);
    }
    if (name->empty())
      return Error(res, 400, "bad_request", "name is required (a series name, see /metrics)");
    std::optional<std::string> labels;
    if (*label_text != nullptr) labels = **label_text;
    auto points = control.QuerySeries(*name, labels, *from, *to);
    if (!points.ok()) return StatusError(res, points.status());
    json out = json::array();
    for (const auto& p : *points)
      out.push_back({{"labels", p.labels}, {"time_ns", p.time_ns}, {"value", p.value}});
    return Json(res, 200, {{"name", *name}, {"points", out}});
  }
  if (parts[2] == "rollouts" && n == 5 && (parts[4] == "rollback" || parts[4] == "promote")) {
    // A person's decision on a rollout, carried out by the controller on the
    // loop thread (it owns the rollouts' state machine).
    if (!post) return method_not_allowed("POST");
    auto id = PathId(parts[3], "rollout");
    if (!id.ok()) return StatusError(res, id.status());
    const std::string who = req.remote.empty() ? "the API" : req.remote;
    const bool rollback = parts[4] == "rollback";
    Status s = Call([&]() -> Status {
      return rollback ? rollouts_->RollBackByRequest(*id, who) : rollouts_->PromoteByRequest(*id, who);
    });
    if (!s.ok()) return StatusError(res, s);
    auto r = (*stores)->deployments->GetRollout(*id);
    if (!r.ok()) return StatusError(res, r.status());
    return Json(res, 200, metadata::RolloutJson(*r, metadata::TimeStyle::kRfc3339));
  }
  if (HandleDeploymentRoute(*(*stores)->deployments, parts, query, req, res)) return;
  ApiContext ctx{&db, &ws_, options_.shared_objects};
  if (HandleRecordRoute(ctx, req, res)) return;
  Error(res, 404, "not_found", fmt::format("no route {} {}", req.method, req.path));
}

}  // namespace mlpipe::server
