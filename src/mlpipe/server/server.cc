#include "mlpipe/server/server.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>

#include "mlpipe/metadata/open_store.h"
#include "mlpipe/monitor/duration_rule.h"
#include "mlpipe/server/auth.h"
#include "mlpipe/server/series_labels.h"
#include "mlpipe/server/serve_host_real.h"

namespace mlpipe::server {
namespace {

constexpr int64_t kServerNsPerSec = 1'000'000'000;
constexpr int64_t kDay = 24 * 3600 * kServerNsPerSec;
// The loop's longest sleep: bounds how late an adopted run's end, a cooldown's
// end or a poll is noticed.
constexpr int64_t kMaxSleepNs = 200'000'000;

}  // namespace

StatusOr<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  std::unique_ptr<Server> server(new Server(std::move(options)));
  RETURN_IF_ERROR(server->Init());
  return server;
}

Server::~Server() {
  if (http_) http_->Shutdown(0);
  if (bus_) bus_->Close();
}

Status Server::Init() {
  // The pipelines first: a bad spec starts nothing, not even a workspace.
  ASSIGN_OR_RETURN(pipelines_,
                   LoadPipelines(options_.pipelines, options_.project_dir, options_.default_pipelines,
                                 /*allow_none=*/!options_.serve.empty()));
  ASSIGN_OR_RETURN(ws_, store::Workspace::OpenOrCreate(options_.project_dir));
  loopback_ = IsLoopbackHost(options_.host);
  token_file_ = options_.token_file.empty() ? ws_.root() + "/token" : options_.token_file;
  ASSIGN_OR_RETURN(token_, LoadOrCreateToken(token_file_));
  metadata_location_ = options_.metadata.empty() ? ws_.MetadataDbPath() : options_.metadata;
  ASSIGN_OR_RETURN(control_, metadata::OpenControlStore(metadata_location_));
  ASSIGN_OR_RETURN(db_, metadata::OpenMetadataStore(metadata_location_));
  ASSIGN_OR_RETURN(int64_t last_event, control_->LastEventId());
  bus_ = std::make_unique<EventBus>(last_event);
  probes_ = std::make_unique<RealTriggerProbes>(*db_);
  engine_ = std::make_unique<TriggerEngine>(
      pipelines_.defs, *control_, *probes_, RealClock(),
      TriggerEngineOptions{.poll_interval_ns = options_.poll_interval_ns, .poll_paths = options_.poll});
  if (!options_.poll) {
    watcher_ = std::make_unique<FileWatcher>(engine_->WatchedPaths(), [this] { Wake(); });
    if (!watcher_->available()) {
      // No inotify here: the engine digests the on_change paths on every poll.
      watcher_.reset();
      options_.poll = true;
      engine_ = std::make_unique<TriggerEngine>(
          pipelines_.defs, *control_, *probes_, RealClock(),
          TriggerEngineOptions{.poll_interval_ns = options_.poll_interval_ns, .poll_paths = true});
    }
  }
  launcher_ = std::make_unique<ProcessLauncher>(options_.mlpipe_exe, [this] { Wake(); });
  monitor_ = std::make_unique<DeploymentMonitor>(ws_, *db_, *control_, *bus_, *engine_, RealClock(),
                                                 options_.monitor);
  // On the loop's registry connection: a rollout's alias moves, its
  // deployment revision and decision record commit as one.
  ASSIGN_OR_RETURN(deployments_, metadata::SharingDeploymentStore(*db_));
  serve_client_ = std::make_unique<HttpServeClient>(ws_, token_);
  rollouts_ =
      std::make_unique<RolloutController>(ws_, *deployments_, *db_, *serve_client_, *bus_, RealClock());
  const std::string log_dir = ws_.root() + "/server";
  mkdir(log_dir.c_str(), 0755);
  {
    std::vector<std::string> names;
    for (const ServeSpec& s : options_.serve) {
      ASSIGN_OR_RETURN(std::string name, ServedDeploymentName(s.deployment, options_.project_dir));
      names.push_back(std::move(name));
    }
    serve_host_ = std::make_unique<RealServeHost>(ws_.root());
    supervisor_ = std::make_unique<ServeSupervisor>(
        options_.serve, std::move(names), *serve_host_, *bus_, RealClock(),
        ServeSupervisorOptions{
            .mlpipe_exe = options_.mlpipe_exe, .project_dir = options_.project_dir, .log_dir = log_dir});
  }
  queue_ =
      std::make_unique<RunQueue>(pipelines_.defs, *control_, *db_, *launcher_, *bus_, RealClock(), log_dir);
  // Retraining time: an alert when a run takes longer than its pipeline's
  // max_duration, or 20 % above the median of its last 5 (monitor/duration_rule.h).
  queue_->set_run_ended_hook([this](const metadata::TriggerFire& fire, const metadata::Run& run) {
    if (run.status != metadata::RunStatus::kSucceeded || run.ended_ns <= run.started_ns) return;
    const PipelineDef* p = nullptr;
    for (const PipelineDef& d : pipelines_.defs) p = d.name == run.pipeline ? &d : p;
    monitor::DurationRule rule;
    if (p != nullptr && p->max_duration_ns > 0)
      rule.max_duration_s = static_cast<double>(p->max_duration_ns) / 1e9;
    auto points =
        control_->QuerySeries("mlpipe_run_duration_seconds", SeriesLabels({{"pipeline", run.pipeline}}), 0,
                              run.ended_ns);  // the earlier runs' (this one's point is at ended_ns)
    if (!points.ok()) return;
    std::vector<double> previous;
    for (auto it = points->rbegin(); it != points->rend() && previous.size() < rule.history; ++it) {
      previous.push_back(it->value);
    }
    const double seconds = static_cast<double>(run.ended_ns - run.started_ns) / 1e9;
    if (auto reason = monitor::CheckDuration(previous, seconds, rule)) {
      bus_->Publish(
          {.kind = "alert",
           .pipeline = run.pipeline,
           .run_id = run.id,
           .data =
               nlohmann::json{
                   {"kind", "retraining_duration"}, {"run", run.id}, {"fire", fire.id}, {"reason", *reason}}
                   .dump()});
    }
  });
  serving::HttpServerOptions http;
  http.host = options_.host;
  http.port = options_.port;
  http.threads = options_.threads;
  http.max_body_bytes = options_.max_body_bytes;
  http.request_timeout_s = options_.request_timeout_s;
  http.max_connections = options_.max_connections;
  http.max_queued_requests = options_.max_queued_requests;
  // An events stream is written to, not read from: keep-alive and read
  // timeouts do not limit it.
  ASSIGN_OR_RETURN(http_, serving::HttpServer::Bind(
                              http, [this](const serving::HttpRequest& request,
                                           serving::HttpResponse& response) { Handle(request, response); }));
  return OkStatus();
}

std::string Server::Describe() const {
  size_t triggers = 0;
  for (const PipelineDef& p : pipelines_.defs) triggers += p.triggers.size();
  return fmt::format("{} pipelines, {} triggers, on_change by {}, token in {}", pipelines_.defs.size(),
                     triggers, options_.poll ? "polling" : "inotify", token_file_);
}

void Server::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Server::RequestStop() {
  stop_requested_ = true;
  Wake();
}

Status Server::Call(std::function<Status()> fn) {
  auto task = std::make_shared<std::packaged_task<Status()>>(std::move(fn));
  std::future<Status> result = task->get_future();
  {
    std::lock_guard lock(mu_);
    if (closed_ || stopping_) return UnavailableError("the server is stopping");
    calls_.push_back([task] { (*task)(); });
    woken_ = true;
  }
  cv_.notify_all();
  return result.get();
}

void Server::PublishFires(const std::vector<int64_t>& fired) {
  // The challengers' fires that came with them (challenger_of:) too.
  std::vector<int64_t> fire_ids = fired;
  for (int64_t id : engine_->TakeChallengerFires()) fire_ids.push_back(id);
  for (int64_t id : fire_ids) {
    auto fire = control_->GetFire(id);
    if (!fire.ok()) continue;
    bus_->Publish({.kind = "trigger.fired",
                   .pipeline = fire->pipeline,
                   .data = nlohmann::json{{"fire", fire->id},
                                          {"trigger", fire->trigger_id},
                                          {"reason", fire->reason},
                                          {"state", std::string(metadata::ToString(fire->state))},
                                          {"detail", fire->detail}}
                               .dump()});
  }
}

Status Server::FlushEvents() {
  std::vector<metadata::ServerEvent> events = bus_->TakeUnstored();
  if (events.empty()) return OkStatus();
  RETURN_IF_ERROR(control_->Begin());
  auto ids = control_->AppendEvents(events);
  if (!ids.ok()) {
    (void)control_->Rollback();
    return ids.status();
  }
  return control_->Commit();
}

Status Server::LoopOnce() {
  std::deque<std::function<void()>> calls;
  {
    std::lock_guard lock(mu_);
    calls.swap(calls_);
  }
  for (auto& call : calls) call();
  if (watcher_) {
    std::set<std::string> changed = watcher_->Take();
    if (!changed.empty()) {
      ASSIGN_OR_RETURN(auto fired, engine_->PathsChanged(changed));
      PublishFires(fired);
    }
  }
  if (!stopping_) {
    ASSIGN_OR_RETURN(auto fired, engine_->Tick());
    PublishFires(fired);
  }
  RETURN_IF_ERROR(queue_->Step());
  if (!stopping_) monitor_->Tick();
  if (!stopping_) rollouts_->Tick();
  if (!stopping_) supervisor_->Tick();
  const int64_t now = RealClock().WallNanos();
  if (now >= next_compact_ns_) {
    // The monitoring record: full detail for a day, hourly means for 30 days.
    (void)control_->CompactSeries(now - kDay, 3600 * kServerNsPerSec, now - 30 * kDay);
    next_compact_ns_ = now + 3600 * kServerNsPerSec;
  }
  return FlushEvents();
}

Status Server::Run() {
  started_ns_ = RealClock().WallNanos();
  next_compact_ns_ = started_ns_ + 60 * kServerNsPerSec;
  RETURN_IF_ERROR(engine_->Start());
  RETURN_IF_ERROR(queue_->Recover());
  bus_->Publish({.kind = "server.started",
                 .data = nlohmann::json{{"pid", getpid()}, {"pipelines", pipelines_.defs.size()}}.dump()});
  http_->Start();
  Status failed;
  while (!stop_requested_) {
    Status s = LoopOnce();
    if (!s.ok()) {
      // A busy database or a failing probe must not stop the server: said,
      // and tried again on the next pass.
      fmt::print(stderr, "mlpipe server: {}\n", s.ToString());
    }
    const int64_t now = RealClock().WallNanos();
    const int64_t sleep = std::clamp<int64_t>(std::min({engine_->NextWakeNs(), monitor_->NextDueNs(),
                                                        rollouts_->NextDueNs(), supervisor_->NextDueNs()}) -
                                                  now,
                                              1'000'000, kMaxSleepNs);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::nanoseconds(sleep), [&] { return woken_ || stop_requested_.load(); });
    woken_ = false;
  }
  Drain();
  return failed;
}

void Server::Drain() {
  stopping_ = true;
  queue_->StopStarting();
  bus_->Publish({.kind = "server.stopping",
                 .data = nlohmann::json{{"running", queue_->running()},
                                        {"grace_s", static_cast<double>(options_.grace_ns) / kServerNsPerSec}}
                             .dump()});
  const auto start = std::chrono::steady_clock::now();
  int phase = 0;  // 0: waiting for runs to finish, 1: SIGTERM sent, 2: SIGKILL sent
  while (queue_->running() > 0) {
    const int64_t waited =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
            .count();
    if (phase == 0 && waited >= options_.grace_ns) {
      queue_->SignalAll(SIGTERM);
      phase = 1;
    } else if (phase == 1 && waited >= options_.grace_ns + 10 * kServerNsPerSec) {
      queue_->SignalAll(SIGKILL);
      phase = 2;
    }
    (void)LoopOnce();
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return woken_; });
    woken_ = false;
  }
  // Calls that arrived meanwhile get their answer; later ones are refused.
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  (void)LoopOnce();
  // The serve processes keep serving while the control plane is away
  // (--serve-stop-on-exit stops them).
  supervisor_->Stop(options_.serve_stop_on_exit);
  bus_->Publish({.kind = "server.stopped"});
  (void)FlushEvents();
  bus_->Close();
  watcher_.reset();
  http_->Shutdown(2 * kServerNsPerSec);
}

}  // namespace mlpipe::server
