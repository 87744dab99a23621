// ModelServer: the HTTP model server (`mlpipe serve`). Open Inference
// Protocol v2 REST routes plus the TF-Serving row form, hot swap through a
// ModelManager, weighted/sticky/shadow routing from a DeploymentConfig,
// Prometheus metrics, a sampled prediction log and live accuracy from
// feedback. Routes, bodies, errors and metric names: docs/http-api.md.
//
// The deployment changes while serving: ApplyDeployment (called by the
// follower of a DeploymentFeed, or directly) publishes a new immutable
// snapshot of it (config, weights, revision) with one pointer swap; a request
// reads one snapshot for its whole life (routing, headers, metrics), so a
// change never drops or splits a request.
//
// Lifecycle: Create (validates options, runs the first load pass) -> Start
// (binds, serves on its own threads, starts polling the source and the
// feed) -> Shutdown (stops accepting, lets in-flight requests finish, stops
// the threads).
// Thread-safety: Start/Shutdown from one thread; accessors and
// ApplyDeployment are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/serving/deployment.h"
#include "mlpipe/serving/deployment_feed.h"
#include "mlpipe/serving/deployment_follower.h"
#include "mlpipe/serving/feedback.h"
#include "mlpipe/serving/http_server.h"
#include "mlpipe/serving/metrics.h"
#include "mlpipe/serving/model_manager.h"
#include "mlpipe/serving/oip_codec.h"
#include "mlpipe/serving/prediction_log.h"
#include "mlpipe/serving/variant_counters.h"

namespace mlpipe::serving {

struct ServerOptions {
  DeploymentConfig deployment;    // required: at least one variant
  ModelSource* source = nullptr;  // required; borrowed
  // The revision `deployment` is, shown in X-Mlpipe-Deployment-Revision and
  // the stats; default "0" (a deployment that is not a stored record).
  std::string revision = "0";
  // Where later revisions come from (polled every poll_interval_ns and on
  // POST /v2/deployments/NAME/reload); borrowed; null = none (the deployment
  // changes only through ApplyDeployment). `feed_revision` is the feed's
  // revision of `deployment`.
  DeploymentFeed* feed = nullptr;
  int64_t feed_revision = 0;
  // Called after each published revision (on the applying thread), e.g. to
  // rewrite endpoint.json. Default none.
  std::function<void(const DeploymentConfig&, const std::string& revision)> on_deployment;
  Loader* loader = nullptr;        // null: PackageLoader
  Clock* clock = nullptr;          // null: RealClock()
  std::string host = "127.0.0.1";  // bind address; default loopback only
  // The bearer token the routes that change state (load, unload, feedback,
  // deployment reload) and the repository index need; required when `host`
  // is not loopback (bearer_token.h), "" = none (loopback only).
  std::string token;
  int port = 0;                              // 0 = any free port (see port())
  int threads = 16;                          // HTTP workers running request handlers; default 16
  size_t max_body_bytes = 1 << 20;           // larger bodies get 413; default 1 MiB
  int request_timeout_s = 10;                // a request's first byte to its last; default 10 s
  int write_timeout_s = 5;                   // default 5 s
  int keep_alive_timeout_s = 5;              // idle keep-alive connections close after this; default 5 s
  bool reuse_port = false;                   // SO_REUSEPORT (HttpServerOptions::reuse_port); default off
  int max_connections = 10000;               // open connections beyond which new ones get 503; default 10,000
  int max_queued_requests = 0;               // requests waiting for a worker at most; 0 = 4 x threads
  int64_t poll_interval_ns = 2'000'000'000;  // re-resolve the source; default 2 s
  std::string log_dir;                       // prediction log folder; "" = no log files
  double log_sample = 1.0;                   // fraction of requests logged; default 1.0
  size_t log_queue = 10000;                  // prediction log queue; default 10,000
  size_t shadow_queue = 1000;                // pending shadow copies before dropping; default 1,000
  size_t feedback_window = 100000;           // recent requests kept for /v2/feedback; default 100,000
  // Where log lines go (loads, failures, shutdown, command workers' stderr).
  // Default: stderr.
  std::function<void(const std::string&)> log;
};

class ModelServer {
 public:
  // InvalidArgument for bad options. Runs the first load pass: a variant that
  // fails to load is reported (status route, metrics, log) but not fatal.
  static StatusOr<std::unique_ptr<ModelServer>> Create(ServerOptions options);
  ~ModelServer();

  // Binds host:port and starts serving and polling. Unavailable if the
  // address cannot be bound.
  Status Start();
  // The bound port (after Start).
  int port() const { return port_; }
  // Stops accepting, waits up to grace_ns for in-flight requests, stops the
  // poller, shadow worker and log writer. True if everything drained in time.
  bool Shutdown(int64_t grace_ns = 10'000'000'000);

  ModelManager& manager() { return *manager_; }
  ServingMetrics& metrics() { return metrics_; }
  PredictionLog& prediction_log() { return *log_; }
  FeedbackStore& feedback() { return feedback_; }

  // One published revision of the deployment. Immutable once published.
  struct Snapshot {
    DeploymentConfig config;
    std::vector<double> weights;  // config.variants' weights, in order
    std::string revision;
  };
  std::shared_ptr<const Snapshot> deployment() const;

  // Makes `next` the live deployment, labelled `revision`. InvalidArgument if
  // it names another model or deployment, has no variant, a negative weight,
  // weights that do not sum to a positive number, or duplicate names. A
  // variant (or shadow) that is new, or whose source changed, is loaded and
  // warmed first; if one fails, nothing is published (the error names it;
  // a variant whose source changed earlier in the same call already serves
  // its new source, as after an alias move). Then the snapshot is swapped,
  // and variants no longer named are dropped (requests still on them
  // finish). A weight-only change loads nothing.
  Status ApplyDeployment(DeploymentConfig next, std::string revision);
  // Polls the feed now (POST /v2/deployments/NAME/reload); FailedPrecondition
  // without a feed.
  StatusOr<FollowResult> ReloadDeployment();

 private:
  explicit ModelServer(ServerOptions options);

  // One answer, filled by a route; Dispatch writes it to the response.
  struct Reply {
    int code = 200;
    std::string body;
    std::string variant;  // for headers and metrics ("" = none)
    std::string version;
    std::string request_id;
    std::string unit_key;  // the sticky key the split routed the request by ("" = none)
    const char* content_type = "application/json";
    bool model_route = false;                                  // counted in mlpipe_requests_total
    std::vector<std::pair<std::string, std::string>> headers;  // more header fields (Allow, ...)
  };
  struct ShadowJob {
    std::shared_ptr<const ServedModel> model;
    std::string variant;
    ParsedRequest request;
  };
  using SnapshotPtr = std::shared_ptr<const Snapshot>;

  void Dispatch(const HttpRequest& req, HttpResponse& res);
  void Route(const HttpRequest& req, bool post, SnapshotPtr& snap, Reply* r);
  // May move `snap` to a newer snapshot when none of its variants is still
  // served (they were dropped by a change after the request read it).
  void Predict(const HttpRequest& req, const std::string& name, const std::string& version, bool v1,
               SnapshotPtr& snap, Reply* r);
  // The live model for a request: `version` if given, else the routed one.
  StatusOr<std::shared_ptr<const ServedModel>> ChooseModel(const HttpRequest& req, const Snapshot& snap,
                                                           const std::string& name,
                                                           const std::string& version, size_t* chosen);
  // Logs one request's rows and predictions if the log samples it.
  void LogPrediction(const ServedModel& model, const std::string& variant, const ParsedRequest& request,
                     const std::vector<ml::RowPrediction>& predictions, int64_t start_ns, bool shadow);
  void ModelMetadata(const Snapshot& snap, const std::string& name, const std::string& version,
                     bool ready_only, Reply* r);
  void Repository(const std::string& name, const std::string& action, Reply* r);
  void Feedback(const HttpRequest& req, Reply* r);
  void DeploymentStats(const Snapshot& snap, const std::string& name, Reply* r);
  void DeploymentReload(const std::string& name, SnapshotPtr& snap, Reply* r);
  // Whether the request may use a route that changes state: always without
  // options_.token, else with "Authorization: Bearer TOKEN". Fills a 401
  // reply when not.
  bool Authorized(const HttpRequest& req, Reply* r) const;
  void RepositoryIndex(Reply* r);
  void RenderExtraMetrics(std::string* out) const;
  void ShadowLoop();
  void Log(const std::string& line) const;
  // The model and deployment names never change while serving.
  bool ServesModel(const std::string& name) const {
    return name == options_.deployment.model || name == options_.deployment.name;
  }
  Status ValidateNext(const DeploymentConfig& next) const;
  void Publish(SnapshotPtr next);
  std::string NextRequestId();

  ServerOptions options_;
  const int64_t started_ns_;  // wall clock at construction: a restart resets the counters

  mutable std::mutex snapshot_mu_;  // guards snapshot_ (the pointer; the snapshot is immutable)
  SnapshotPtr snapshot_;
  std::mutex apply_mu_;                           // one ApplyDeployment at a time
  std::unique_ptr<DeploymentFollower> follower_;  // when options_.feed is set
  std::unique_ptr<Loader> own_loader_;            // when options_.loader is null
  std::unique_ptr<ModelManager> manager_;
  ServingMetrics metrics_;
  VariantCounters counters_;
  FeedbackStore feedback_;
  std::unique_ptr<PredictionLog> log_;
  std::unique_ptr<HttpServer> http_;
  int port_ = 0;
  std::atomic<uint64_t> request_counter_{0};
  int64_t id_prefix_ = 0;
  bool started_ = false;

  std::mutex shadow_mu_;
  std::condition_variable shadow_cv_;
  std::deque<ShadowJob> shadow_jobs_;
  bool shadow_stop_ = false;
  std::thread shadow_thread_;
};

}  // namespace mlpipe::serving
