// Server: the control plane, `mlpipe server`. One process per project: the
// HTTP API (/api/v1, the events stream, /metrics), the trigger loop, the run
// queue and the monitors, over the project's workspace.
//
// Threads: the loop thread owns the trigger engine, the run queue and their
// database connections; HTTP workers read the record through connections of
// their own and hand anything that changes state to the loop (Call), so
// state changes happen on one thread, in order.
//
// Lifecycle: Create (loads and validates the pipelines, opens the workspace,
// binds the port; nothing runs on a bad spec) -> Run (blocks: serves, fires,
// runs) -> RequestStop (from a signal handler's thread): no new runs; running
// ones get `grace_ns` to finish, then SIGTERM (they record themselves
// cancelled), then SIGKILL after 10 s more; queued fires stay queued for the
// next start. Restart-safe through the ControlStore (run_queue.h).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/metadata/control_store.h"
#include "mlpipe/metadata/deployment_store.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/server/deployment_monitor.h"
#include "mlpipe/server/event_bus.h"
#include "mlpipe/server/file_watcher.h"
#include "mlpipe/server/pipeline_set.h"
#include "mlpipe/server/rollout_controller.h"
#include "mlpipe/server/run_queue.h"
#include "mlpipe/server/serve_client.h"
#include "mlpipe/server/serve_supervisor.h"
#include "mlpipe/server/trigger_engine.h"
#include "mlpipe/server/trigger_probes_real.h"
#include "mlpipe/serving/http_server.h"
#include "mlpipe/store/layout.h"
#include "mlpipe/store/s3_client.h"

namespace mlpipe::server {

struct ServerOptions {
  std::string project_dir;  // where .mlpipe is (or is created)
  // Glob patterns, relative to project_dir. With default_pipelines, files
  // that match and are not pipelines (no top-level steps:) are left out,
  // and a pattern may match nothing.
  std::vector<std::string> pipelines = {"*.yaml", "pipelines/*.yaml"};
  bool default_pipelines = false;
  std::string host = "127.0.0.1";
  int port = 8700;
  std::string token_file;  // "" = <workspace>/token
  // Where runs, artifacts, models, deployments and the server's own records
  // (run queue, trigger state, series, events) are kept: "" = the
  // workspace's SQLite file; else a location metadata/open_store.h takes (a
  // shared PostgreSQL database).
  std::string metadata;
  // The workspace's S3 store (objects.s3), if any: the artifact routes fetch
  // from it what the workspace lacks. Not owned; outlives Run().
  store::S3Client* shared_objects = nullptr;
  int64_t grace_ns = 60'000'000'000;         // running runs' time to finish on SIGTERM
  bool poll = false;                         // stat-poll on_change paths instead of inotify
  int64_t poll_interval_ns = 1'000'000'000;  // on_change polls (with --poll), commits, aliases
  std::string mlpipe_exe;                    // the mlpipe that runs pipelines
  int threads = 16;                          // HTTP workers
  int request_timeout_s = 10;                // a request's first byte to its last (HttpServerOptions)
  int max_connections = 10000;               // open connections beyond which new ones get 503
  int max_queued_requests = 0;               // requests waiting for a worker at most; 0 = 4 x threads
  size_t max_body_bytes = 1 << 20;
  DeploymentMonitorOptions monitor;  // scrape interval, drift window
  // --serve: the `mlpipe serve` processes the server keeps running
  // (serve_supervisor.h). They keep serving when the server stops unless
  // serve_stop_on_exit.
  std::vector<ServeSpec> serve;
  bool serve_stop_on_exit = false;
};

class Server {
 public:
  static StatusOr<std::unique_ptr<Server>> Create(ServerOptions options);
  ~Server();

  // Serves until RequestStop, then drains. OK after a clean stop.
  Status Run();
  void RequestStop();
  bool stop_requested() const { return stop_requested_; }
  // "2 pipelines, 5 triggers, watching 3 paths with inotify, token in FILE".
  std::string Describe() const;
  int port() const { return http_->port(); }
  const std::string& token() const { return token_; }

  // Runs `fn` on the loop thread and waits for it (HTTP workers' way to
  // change state). Unavailable once the server is stopping.
  Status Call(std::function<Status()> fn);

 private:
  explicit Server(ServerOptions options) : options_(std::move(options)) {}
  Status Init();
  void Wake();
  Status LoopOnce();
  Status FlushEvents();
  void Drain();
  void Handle(const serving::HttpRequest& request, serving::HttpResponse& response);  // control_routes.cc
  void Route(const serving::HttpRequest& request, serving::HttpResponse& response);   // control_routes.cc
  void StreamEvents(const serving::HttpRequest& request,
                    serving::HttpResponse& response);  // events_stream.cc
  // `control`: the calling worker thread's connection (metrics_export.cc).
  std::string PrometheusText(metadata::ControlStore& control, metadata::DeploymentStore& deployments);
  void PublishFires(const std::vector<int64_t>& fire_ids);

  ServerOptions options_;
  store::Workspace ws_{""};
  std::string token_;
  std::string token_file_;
  bool loopback_ = true;
  LoadedPipelines pipelines_;
  // options_.metadata, or the workspace's SQLite file: where every store below is.
  std::string metadata_location_;
  std::unique_ptr<metadata::ControlStore> control_;  // loop thread
  std::unique_ptr<metadata::MetadataStore> db_;      // loop thread
  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<RealTriggerProbes> probes_;
  std::unique_ptr<TriggerEngine> engine_;
  std::unique_ptr<ProcessLauncher> launcher_;
  std::unique_ptr<RunQueue> queue_;
  std::unique_ptr<FileWatcher> watcher_;
  std::unique_ptr<DeploymentMonitor> monitor_;
  std::unique_ptr<metadata::DeploymentStore> deployments_;  // loop thread: on db_'s connection
  std::unique_ptr<HttpServeClient> serve_client_;
  std::unique_ptr<RolloutController> rollouts_;
  std::unique_ptr<ServeHost> serve_host_;
  std::unique_ptr<ServeSupervisor> supervisor_;
  std::unique_ptr<serving::HttpServer> http_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  bool closed_ = false;  // the loop is gone: Call answers Unavailable
  std::deque<std::function<void()>> calls_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> stopping_{false};
  int64_t started_ns_ = 0;
  int64_t next_compact_ns_ = 0;
};

}  // namespace mlpipe::server
