// ModelServer: the HTTP model server (`mlpipe serve`). Open Inference
// Protocol v2 REST routes plus the TF-Serving row form, hot swap through a
// ModelManager, weighted/sticky/shadow routing from a DeploymentConfig,
// Prometheus metrics, a sampled prediction log and live accuracy from
// feedback. Routes, bodies, errors and metric names: docs/http-api.md.
//
// Lifecycle: Create (validates options, runs the first load pass) -> Start
// (binds, serves on its own threads, starts polling the source) -> Shutdown
// (stops accepting, lets in-flight requests finish, stops the threads).
// Thread-safety: Start/Shutdown from one thread; accessors are thread-safe.
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
#include "mlpipe/serving/feedback.h"
#include "mlpipe/serving/http_server.h"
#include "mlpipe/serving/metrics.h"
#include "mlpipe/serving/model_manager.h"
#include "mlpipe/serving/oip_codec.h"
#include "mlpipe/serving/prediction_log.h"

namespace mlpipe::serving {

struct ServerOptions {
  DeploymentConfig deployment;    // required: at least one variant
  ModelSource* source = nullptr;  // required; borrowed
  Loader* loader = nullptr;       // null: PackageLoader
  Clock* clock = nullptr;         // null: RealClock()
  std::string host = "127.0.0.1";  // bind address; default loopback only
  int port = 0;                    // 0 = any free port (see port())
  int threads = 16;                // HTTP worker threads (one per open connection); default 16
  size_t max_body_bytes = 1 << 20;  // larger bodies get 413; default 1 MiB
  int read_timeout_s = 5;           // default 5 s
  int write_timeout_s = 5;          // default 5 s
  int keep_alive_timeout_s = 5;     // idle keep-alive connections close after this; default 5 s
  int64_t poll_interval_ns = 2'000'000'000;  // re-resolve the source; default 2 s
  std::string log_dir;          // prediction log folder; "" = no log files
  double log_sample = 1.0;      // fraction of requests logged; default 1.0
  size_t log_queue = 10000;     // prediction log queue; default 10,000
  size_t shadow_queue = 1000;   // pending shadow copies before dropping; default 1,000
  size_t feedback_window = 100000;  // recent requests kept for /v2/feedback; default 100,000
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
  const DeploymentConfig& deployment() const { return options_.deployment; }

 private:
  explicit ModelServer(ServerOptions options);

  // One answer, filled by a route; Dispatch writes it to the response.
  struct Reply {
    int code = 200;
    std::string body;
    std::string variant;  // for headers and metrics ("" = none)
    std::string version;
    std::string request_id;
    const char* content_type = "application/json";
    bool model_route = false;  // counted in mlpipe_requests_total
  };
  struct ShadowJob {
    std::shared_ptr<const ServedModel> model;
    ParsedRequest request;
  };

  void Dispatch(const HttpRequest& req, HttpResponse& res);
  void Route(const HttpRequest& req, bool post, Reply* r);
  void Predict(const HttpRequest& req, const std::string& name, const std::string& version, bool v1,
               Reply* r);
  // Logs one request's rows and predictions if the log samples it.
  void LogPrediction(const ServedModel& model, const std::string& variant, const ParsedRequest& request,
                     const std::vector<ml::RowPrediction>& predictions, int64_t start_ns, bool shadow);
  void ModelMetadata(const std::string& name, const std::string& version, bool ready_only, Reply* r);
  void Repository(const std::string& name, const std::string& action, Reply* r);
  void Feedback(const HttpRequest& req, Reply* r);
  void DeploymentStats(const std::string& name, Reply* r);
  void RepositoryIndex(Reply* r);
  void RenderExtraMetrics(std::string* out) const;
  void ShadowLoop();
  void Log(const std::string& line) const;
  bool ServesModel(const std::string& name) const {
    return name == options_.deployment.model || name == options_.deployment.name;
  }
  std::string NextRequestId();

  ServerOptions options_;
  std::vector<double> weights_;
  std::unique_ptr<Loader> own_loader_;  // when options_.loader is null
  std::unique_ptr<ModelManager> manager_;
  ServingMetrics metrics_;
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
