#include "mlpipe/server/run_queue.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <nlohmann/json.hpp>

#include "mlpipe/metadata/run_view.h"
#include "mlpipe/server/manual_run_params.h"
#include "mlpipe/server/series_labels.h"

namespace mlpipe::server {
namespace {

using metadata::FireState;
using metadata::TriggerFire;

constexpr double kQueueNsPerSecD = 1e9;

}  // namespace

RunQueue::RunQueue(const std::vector<PipelineDef>& pipelines, metadata::ControlStore& control,
                   metadata::MetadataStore& db, RunLauncher& launcher, EventBus& bus, Clock& clock,
                   std::string log_dir)
    : pipelines_(pipelines),
      control_(control),
      db_(db),
      launcher_(launcher),
      bus_(bus),
      clock_(clock),
      log_dir_(std::move(log_dir)) {}

const PipelineDef* RunQueue::Find(const std::string& name) const {
  for (const PipelineDef& p : pipelines_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

int RunQueue::RunningOf(const std::string& pipeline) const {
  int n = 0;
  for (const auto& [id, a] : active_) n += a.pipeline == pipeline ? 1 : 0;
  return n;
}

int64_t RunQueue::StartOfLocalDay(int64_t now_ns) const {
  const time_t t = static_cast<time_t>(now_ns / 1'000'000'000);
  struct tm tm_local;
  localtime_r(&t, &tm_local);
  tm_local.tm_hour = 0;
  tm_local.tm_min = 0;
  tm_local.tm_sec = 0;
  tm_local.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&tm_local)) * 1'000'000'000;
}

// The run a fire started: its recorded id, else the newest run of the
// pipeline recorded with the fire's reason as trigger since it started.
static StatusOr<std::optional<metadata::Run>> RunOfFire(metadata::MetadataStore& db,
                                                        const TriggerFire& fire) {
  if (fire.run_id) {
    auto run = db.GetRun(*fire.run_id);
    if (run.ok()) return std::optional<metadata::Run>(*run);
    if (run.status().code() != StatusCode::kNotFound) return run.status();
    return std::optional<metadata::Run>();
  }
  ASSIGN_OR_RETURN(auto runs, db.ListRuns(200, fire.pipeline));
  for (const metadata::Run& r : runs) {
    if (r.trigger == fire.reason && r.started_ns + 1'000'000'000 >= fire.started_ns) {
      return std::optional<metadata::Run>(r);
    }
  }
  return std::optional<metadata::Run>();
}

Status RunQueue::Recover() {
  ASSIGN_OR_RETURN(auto started,
                   control_.ListFires({.states = {FireState::kStarted}, .before_id = 0, .limit = 0}));
  const std::string host = metadata::ThisHostName();
  for (TriggerFire& fire : started) {
    ASSIGN_OR_RETURN(auto run, RunOfFire(db_, fire));
    if (run && run->status != metadata::RunStatus::kRunning) {
      fire.run_id = run->id;
      fire.state = FireState::kFinished;
      fire.ended_ns = run->ended_ns;
      fire.detail = fmt::format("run {} ended while no server ran", run->id);
      RETURN_IF_ERROR(control_.UpdateFire(fire));
      RecordSeries(fire, *run);
      continue;
    }
    const pid_t pid = run && run->host == host ? static_cast<pid_t>(run->pid) : 0;
    if (metadata::ProcessAliveHere(pid)) {
      if (run) fire.run_id = run->id;
      RETURN_IF_ERROR(control_.UpdateFire(fire));
      active_[fire.id] = {fire.pipeline, pid};
      continue;
    }
    // Gone: the run is interrupted; a new fire continues it.
    fire.state = FireState::kInterrupted;
    fire.ended_ns = clock_.WallNanos();
    fire.detail = run ? fmt::format("the server stopped while run {} ran, and its process is gone", run->id)
                      : std::string("the server stopped while the run was starting");
    if (run) fire.run_id = run->id;
    RETURN_IF_ERROR(control_.UpdateFire(fire));
    TriggerFire again;
    again.pipeline = fire.pipeline;
    again.trigger_id = fire.trigger_id;
    again.fired_ns = clock_.WallNanos();
    again.force = fire.force;
    again.params = fire.params;
    if (run) {
      again.resume_run = run->id;
      again.reason = fmt::format("resume of run {}: {}", run->id, fire.reason);
    } else {
      again.reason = fire.reason;
    }
    ASSIGN_OR_RETURN(int64_t id, control_.RecordFire(again));
    bus_.Publish(
        {.kind = "trigger.fired",
         .pipeline = again.pipeline,
         .data =
             nlohmann::json{{"fire", id}, {"trigger", again.trigger_id}, {"reason", again.reason}}.dump()});
  }
  return OkStatus();
}

Status RunQueue::Step() {
  for (const LaunchReport& r : launcher_.TakeReports()) RETURN_IF_ERROR(HandleReport(r));
  RETURN_IF_ERROR(PollAdopted());
  if (!stopping_) RETURN_IF_ERROR(StartQueued());
  return OkStatus();
}

Status RunQueue::StartQueued() {
  ASSIGN_OR_RETURN(auto queued,
                   control_.ListFires({.states = {FireState::kQueued}, .before_id = 0, .limit = 0}));
  const int64_t now = clock_.WallNanos();
  for (auto it = queued.rbegin(); it != queued.rend(); ++it) {
    TriggerFire& fire = *it;
    const PipelineDef* p = Find(fire.pipeline);
    if (p == nullptr) {
      fire.state = FireState::kSkipped;
      fire.detail = fmt::format("pipeline '{}' is not one the server runs", fire.pipeline);
      RETURN_IF_ERROR(control_.UpdateFire(fire));
      continue;
    }
    if (RunningOf(p->name) >= std::max(1, p->concurrency)) continue;
    if (!fire.force && !fire.resume_run) {
      if (p->max_runs_per_day > 0) {
        ASSIGN_OR_RETURN(int today, control_.CountStartedSince(p->name, StartOfLocalDay(now)));
        if (today >= p->max_runs_per_day) {
          fire.state = FireState::kSkipped;
          fire.detail =
              fmt::format("max_runs_per_day {} reached today (force=true runs anyway)", p->max_runs_per_day);
          RETURN_IF_ERROR(control_.UpdateFire(fire));
          continue;
        }
      }
      if (p->cooldown_ns > 0) {
        ASSIGN_OR_RETURN(int64_t last, control_.LastStartNs(p->name));
        if (last > 0 && now - last < p->cooldown_ns) {
          const std::string wait =
              fmt::format("waiting for the cooldown: not before {}", FormatWallTime(last + p->cooldown_ns));
          if (fire.detail != wait) {
            fire.detail = wait;
            RETURN_IF_ERROR(control_.UpdateFire(fire));
          }
          continue;
        }
      }
    }
    RETURN_IF_ERROR(Start(fire, *p));
  }
  return OkStatus();
}

Status RunQueue::Start(TriggerFire fire, const PipelineDef& p) {
  fire.state = FireState::kStarted;
  fire.started_ns = clock_.WallNanos();
  fire.detail.clear();
  RETURN_IF_ERROR(control_.UpdateFire(fire));
  LaunchRequest request;
  request.fire_id = fire.id;
  request.spec_path = p.spec_path;
  request.cwd = p.dir;
  request.trigger = fire.reason;
  request.resume_run = fire.resume_run;
  if (!fire.resume_run) request.param_overrides = ParamOverrideTexts(fire.params);
  if (!log_dir_.empty()) request.log_path = fmt::format("{}/fire-{}.log", log_dir_, fire.id);
  Status launched = launcher_.Launch(request);
  if (!launched.ok()) {
    fire.state = FireState::kFinished;
    fire.ended_ns = clock_.WallNanos();
    fire.detail = launched.message();
    return control_.UpdateFire(fire);
  }
  active_[fire.id] = {p.name, 0};
  bus_.Publish(
      {.kind = "fire.started",
       .pipeline = p.name,
       .data =
           nlohmann::json{{"fire", fire.id}, {"trigger", fire.trigger_id}, {"reason", fire.reason}}.dump()});
  return OkStatus();
}

Status RunQueue::HandleReport(const LaunchReport& report) {
  if (report.exited) {
    return Finish(report.fire_id, report.exit_code == 0
                                      ? std::string("exit 0")
                                      : fmt::format("exit {} (log: {}/fire-{}.log)", report.exit_code,
                                                    log_dir_, report.fire_id));
  }
  auto line = nlohmann::json::parse(report.line, nullptr, false);
  if (!line.is_object()) return OkStatus();
  auto active = active_.find(report.fire_id);
  const std::string pipeline = active == active_.end() ? "" : active->second.pipeline;
  const std::string event = line.value("event", "");
  if (event == "run_started") {
    ASSIGN_OR_RETURN(TriggerFire fire, control_.GetFire(report.fire_id));
    fire.run_id = line.value("run", int64_t{0});
    RETURN_IF_ERROR(control_.UpdateFire(fire));
    bus_.Publish(
        {.kind = "run.started",
         .pipeline = pipeline,
         .run_id = fire.run_id,
         .data =
             nlohmann::json{
                 {"run", *fire.run_id}, {"pipeline", pipeline}, {"fire", fire.id}, {"trigger", fire.reason}}
                 .dump()});
    return OkStatus();
  }
  if (event == "summary" || event.empty()) return OkStatus();
  ASSIGN_OR_RETURN(TriggerFire fire, control_.GetFire(report.fire_id));
  if (event == "run_finished") {
    bus_.Publish({.kind = "run.finished", .pipeline = pipeline, .run_id = fire.run_id, .data = line.dump()});
    return OkStatus();
  }
  if (fire.run_id) line["run"] = *fire.run_id;
  bus_.Publish({.kind = "step." + event, .pipeline = pipeline, .run_id = fire.run_id, .data = line.dump()});
  return OkStatus();
}

Status RunQueue::Finish(int64_t fire_id, const std::string& detail) {
  active_.erase(fire_id);
  ASSIGN_OR_RETURN(TriggerFire fire, control_.GetFire(fire_id));
  ASSIGN_OR_RETURN(auto run, RunOfFire(db_, fire));
  fire.ended_ns = clock_.WallNanos();
  auto cancelled = cancelled_.find(fire_id);
  if (cancelled != cancelled_.end()) {
    fire.state = FireState::kCancelled;
    fire.detail = "cancelled by " + cancelled->second;
    cancelled_.erase(cancelled);
  } else {
    fire.state = FireState::kFinished;
    fire.detail = detail;
  }
  if (run) fire.run_id = run->id;
  RETURN_IF_ERROR(control_.UpdateFire(fire));
  if (run) {
    RecordSeries(fire, *run);
    if (run_ended_) run_ended_(fire, *run);
  }
  return OkStatus();
}

Status RunQueue::PollAdopted() {
  std::vector<int64_t> gone;
  for (const auto& [id, a] : active_) {
    if (a.adopted_pid != 0 && !metadata::ProcessAliveHere(a.adopted_pid)) gone.push_back(id);
  }
  for (int64_t id : gone) RETURN_IF_ERROR(Finish(id, "followed after a server restart"));
  return OkStatus();
}

Status RunQueue::CancelFire(int64_t fire_id, const std::string& who) {
  ASSIGN_OR_RETURN(TriggerFire fire, control_.GetFire(fire_id));
  if (fire.state == FireState::kQueued) {
    fire.state = FireState::kCancelled;
    fire.detail = "cancelled by " + who;
    fire.ended_ns = clock_.WallNanos();
    return control_.UpdateFire(fire);
  }
  auto it = active_.find(fire_id);
  if (fire.state != FireState::kStarted || it == active_.end()) {
    return FailedPreconditionError(
        fmt::format("fire {} is {}: nothing to cancel", fire_id, metadata::ToString(fire.state)));
  }
  cancelled_[fire_id] = who;
  if (it->second.adopted_pid != 0) {
    kill(-it->second.adopted_pid, SIGTERM);
  } else {
    launcher_.Signal(fire_id, SIGTERM);
  }
  return OkStatus();
}

StatusOr<int64_t> RunQueue::FireOfRun(int64_t run_id) {
  for (const auto& [id, a] : active_) {
    ASSIGN_OR_RETURN(TriggerFire fire, control_.GetFire(id));
    if (fire.run_id == run_id) return id;
  }
  return NotFoundError(fmt::format("run {} is not a run this server is running", run_id));
}

void RunQueue::SignalAll(int sig) {
  for (const auto& [id, a] : active_) {
    if (a.adopted_pid != 0) {
      kill(-a.adopted_pid, sig);
    } else {
      launcher_.Signal(id, sig);
    }
  }
}

void RunQueue::RecordSeries(const TriggerFire& fire, const metadata::Run& run) {
  const std::string pipeline = SeriesLabels({{"pipeline", run.pipeline}});
  const int64_t t = run.ended_ns > 0 ? run.ended_ns : clock_.WallNanos();
  std::vector<metadata::SeriesPoint> points;
  // A cancelled run's wall time says how long it ran before someone stopped
  // it, not how long retraining takes: only runs that ended on their own count.
  if (run.ended_ns > run.started_ns && run.status != metadata::RunStatus::kCancelled) {
    points.push_back(
        {"mlpipe_run_duration_seconds", pipeline, t, (run.ended_ns - run.started_ns) / kQueueNsPerSecD});
  }
  if (fire.started_ns >= fire.fired_ns && fire.fired_ns > 0) {
    points.push_back(
        {"mlpipe_run_queue_seconds", pipeline, t, (fire.started_ns - fire.fired_ns) / kQueueNsPerSecD});
  }
  if (fire.reason.rfind("on_change ", 0) == 0 && run.ended_ns > fire.fired_ns) {
    points.push_back({"mlpipe_change_to_run_finished_seconds", pipeline, t,
                      (run.ended_ns - fire.fired_ns) / kQueueNsPerSecD});
  }
  auto executions = db_.ListExecutions(run.id);
  if (executions.ok()) {
    for (const metadata::Execution& e : *executions) {
      if (e.status != metadata::ExecutionStatus::kSucceeded &&
          e.status != metadata::ExecutionStatus::kFailed) {
        continue;
      }
      const std::string labels = SeriesLabels({{"pipeline", run.pipeline}, {"step", e.step}});
      points.push_back({"mlpipe_step_duration_seconds", labels, t, e.wall_ns / kQueueNsPerSecD});
      points.push_back({"mlpipe_step_cpu_seconds", labels, t, e.cpu_ns / kQueueNsPerSecD});
      points.push_back({"mlpipe_step_peak_rss_bytes", labels, t, static_cast<double>(e.peak_rss_bytes)});
    }
  }
  (void)control_.AppendSeries(points);
}

}  // namespace mlpipe::server
