#include "mlpipe/serving/server.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <utility>

#include "mlpipe/base/bearer_token.h"
#include "mlpipe/serving/http_status.h"
#include "mlpipe/serving/transport_metrics.h"

namespace mlpipe::serving {

ModelServer::ModelServer(ServerOptions options)
    : options_(std::move(options)),
      started_ns_(options_.clock->WallNanos()),
      feedback_(options_.feedback_window) {}

StatusOr<std::unique_ptr<ModelServer>> ModelServer::Create(ServerOptions options) {
  if (options.source == nullptr) return InvalidArgumentError("server: no model source");
  if (options.deployment.variants.empty())
    return InvalidArgumentError("server: the deployment has no variants");
  if (options.threads < 1 || options.threads > 1024) return InvalidArgumentError("--threads must be 1..1024");
  if (options.max_body_bytes < 64) return InvalidArgumentError("--max-body must be at least 64 bytes");
  if (!(options.log_sample >= 0 && options.log_sample <= 1))
    return InvalidArgumentError("--log-sample must be in [0, 1]");
  if (options.poll_interval_ns <= 0) return InvalidArgumentError("--poll must be positive");
  if (options.feedback_window < 1) return InvalidArgumentError("--feedback-window must be at least 1");
  if (!IsLoopbackHost(options.host) && options.token.empty()) {
    return InvalidArgumentError(
        fmt::format("serving on {} (beyond loopback) needs a bearer token for the routes that change state",
                    options.host));
  }
  if (options.clock == nullptr) options.clock = &RealClock();
  std::unique_ptr<ModelServer> s(new ModelServer(std::move(options)));
  ServerOptions& o = s->options_;
  s->id_prefix_ = o.clock->WallNanos() / 1'000'000;
  {
    auto first = std::make_shared<Snapshot>();
    first->config = o.deployment;
    for (const VariantConfig& v : o.deployment.variants) first->weights.push_back(v.weight);
    first->revision = o.revision;
    s->snapshot_ = std::move(first);
  }

  ManagerOptions mo;
  mo.source = o.source;
  mo.loader = o.loader;
  if (mo.loader == nullptr) {
    // Command packages' workers log through the server's log (a copy: a
    // model may outlive the server while a request still holds it).
    s->own_loader_ = std::make_unique<PackageLoader>(o.log);
    mo.loader = s->own_loader_.get();
  }
  mo.clock = o.clock;
  mo.poll_interval_ns = o.poll_interval_ns;
  ModelServer* self = s.get();
  mo.on_load = [self](const LoadEvent& ev) {
    self->metrics_.RecordLoad(ev.model_name, ev.key, ev.version, ev.ok, ev.seconds);
    if (ev.ok) {
      self->Log(fmt::format("serve: {} variant {}: version {} live ({}; loaded and warmed in {:.3f}s)",
                            ev.model_name, ev.key, ev.version, ev.reason, ev.seconds));
    } else {
      self->Log(fmt::format(
          "serve: {} variant {}: version {} FAILED to load, the previous version keeps serving: {}",
          ev.model_name, ev.key, ev.version, ev.error));
    }
  };
  s->manager_ = std::make_unique<ModelManager>(std::move(mo));
  for (const VariantConfig& v : o.deployment.variants)
    s->manager_->AddServable(v.name, o.deployment.model, v.spec);
  if (o.deployment.shadow)
    s->manager_->AddServable(o.deployment.shadow->name, o.deployment.model, o.deployment.shadow->spec);
  s->manager_->ReconcileOnce();
  for (const ServableStatus& st : s->manager_->Statuses()) {
    if (st.state != ServableState::kAvailable) {
      s->Log(fmt::format("serve: {} variant {} ({}) is not ready: {}", st.model_name, st.key, st.spec,
                         st.last_error.empty() ? st.last_reason : st.last_error));
    }
  }
  PredictionLogOptions lo;
  lo.dir = o.log_dir;
  lo.deployment = o.deployment.name;
  lo.capacity = o.log_queue;
  lo.sample = o.log_sample;
  s->log_ = std::make_unique<PredictionLog>(std::move(lo));
  s->metrics_.SetExtraRenderer([self](std::string* out) { self->RenderExtraMetrics(out); });
  if (o.feed != nullptr) {
    s->follower_ = std::make_unique<DeploymentFollower>(
        o.feed, o.feed_revision, o.poll_interval_ns,
        [self](DeploymentConfig next, int64_t revision) {
          return self->ApplyDeployment(std::move(next), std::to_string(revision));
        },
        [self](const std::string& line) { self->Log(line); });
  }
  return s;
}

ModelServer::~ModelServer() { Shutdown(0); }

void ModelServer::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

std::string ModelServer::NextRequestId() {
  return fmt::format("{:x}-{}", id_prefix_, request_counter_.fetch_add(1, std::memory_order_relaxed) + 1);
}

Status ModelServer::Start() {
  if (started_) return FailedPreconditionError("server already started");
  HttpServerOptions ho;
  ho.host = options_.host;
  ho.port = options_.port;
  ho.threads = options_.threads;
  ho.max_body_bytes = options_.max_body_bytes;
  ho.request_timeout_s = options_.request_timeout_s;
  ho.write_timeout_s = options_.write_timeout_s;
  ho.keep_alive_timeout_s = options_.keep_alive_timeout_s;
  ho.reuse_port = options_.reuse_port;
  ho.max_connections = options_.max_connections;
  ho.max_queued_requests = options_.max_queued_requests;
  ho.log = [this](const std::string& line) { Log("serve: " + line); };
  HttpHandler handler = [this](const HttpRequest& req, HttpResponse& res) { Dispatch(req, res); };
  ASSIGN_OR_RETURN(http_, HttpServer::Bind(std::move(ho), std::move(handler)));
  port_ = http_->port();
  started_ = true;
  http_->Start();
  shadow_thread_ = std::thread([this] { ShadowLoop(); });
  manager_->Start();
  if (follower_) follower_->Start();
  return OkStatus();
}

bool ModelServer::Shutdown(int64_t grace_ns) {
  bool drained = true;
  if (started_) {
    started_ = false;
    // Stops accepting; in-flight requests finish; joins the HTTP threads.
    drained = http_->Shutdown(grace_ns);
    if (!drained) Log("serve: requests still running after the grace period");
    {
      std::lock_guard<std::mutex> l(shadow_mu_);
      shadow_stop_ = true;
    }
    shadow_cv_.notify_all();
    shadow_thread_.join();
  }
  if (follower_) follower_->Stop();
  if (manager_) manager_->Stop();
  if (log_) log_->Flush();
  return drained;
}

void ModelServer::ShadowLoop() {
  std::unique_lock<std::mutex> lock(shadow_mu_);
  for (;;) {
    shadow_cv_.wait(lock, [&] { return shadow_stop_ || !shadow_jobs_.empty(); });
    if (shadow_jobs_.empty()) break;
    ShadowJob job = std::move(shadow_jobs_.front());
    shadow_jobs_.pop_front();
    lock.unlock();
    const int64_t start = options_.clock->MonotonicNanos();
    auto preds = PredictRows(*job.model, job.request);
    // The copy's latency is its prediction call's, as a variant's model
    // latency: the time it waited in the queue is not the model's.
    const double secs = static_cast<double>(options_.clock->MonotonicNanos() - start) / 1e9;
    if (preds.ok()) {
      std::vector<std::string> labels;
      std::vector<double> values;
      for (const ml::RowPrediction& p : *preds) {
        if (job.model->is_classifier()) {
          metrics_.RecordClass(options_.deployment.model, job.variant, job.model->version(), p.label);
          labels.push_back(p.label);
        } else {
          metrics_.RecordValue(options_.deployment.model, job.variant, job.model->version(), p.value,
                               job.model->value_buckets());
          values.push_back(p.value);
        }
      }
      counters_.RecordClasses(job.variant, labels);
      feedback_.RecordShadowPrediction(job.request.id, job.variant, job.model->version(), std::move(labels),
                                       std::move(values));
      LogPrediction(*job.model, job.variant, job.request, *preds, start, /*shadow=*/true);
    }
    // Counted last: a reader that sees the copy counted sees its predictions too.
    metrics_.RecordShadow(options_.deployment.model, job.variant, preds.ok() ? "ok" : "error");
    counters_.RecordModelLatency(job.variant, secs);
    counters_.RecordRequest(job.variant, preds.ok() ? 200 : HttpStatusFor(preds.status()), secs);
    job.model.reset();
    lock.lock();
  }
}

void ModelServer::RenderExtraMetrics(std::string* out) const {
  if (http_) AppendHttpMetrics(http_->Stats(), out);
  AppendProcessMetrics(out);
  auto it = std::back_inserter(*out);
  const std::string dep = PromEscape(options_.deployment.name);
  auto stats = feedback_.Stats();
  *out +=
      "# HELP mlpipe_feedback_total Rows with a true label received through /v2/feedback.\n"
      "# TYPE mlpipe_feedback_total counter\n";
  for (const auto& [variant, s] : stats) {
    fmt::format_to(it, "mlpipe_feedback_total{{deployment=\"{}\",variant=\"{}\"}} {}\n", dep,
                   PromEscape(variant), s.feedback);
  }
  *out +=
      "# HELP mlpipe_live_accuracy Share of correct predictions among rows with feedback (classifiers).\n"
      "# TYPE mlpipe_live_accuracy gauge\n";
  for (const auto& [variant, s] : stats) {
    if (s.classifier && s.feedback > 0) {
      fmt::format_to(it, "mlpipe_live_accuracy{{deployment=\"{}\",variant=\"{}\"}} {}\n", dep,
                     PromEscape(variant), s.Score());
    }
  }
  *out +=
      "# HELP mlpipe_live_mae Mean absolute error among rows with feedback (regression).\n"
      "# TYPE mlpipe_live_mae gauge\n";
  for (const auto& [variant, s] : stats) {
    if (!s.classifier && s.feedback > 0) {
      fmt::format_to(it, "mlpipe_live_mae{{deployment=\"{}\",variant=\"{}\"}} {}\n", dep, PromEscape(variant),
                     s.Score());
    }
  }
  *out +=
      "# HELP mlpipe_model_info The version each variant serves (1 = live).\n"
      "# TYPE mlpipe_model_info gauge\n";
  for (const ServableStatus& st : manager_->Statuses()) {
    fmt::format_to(it, "mlpipe_model_info{{model=\"{}\",variant=\"{}\",version=\"{}\",state=\"{}\"}} {}\n",
                   PromEscape(st.model_name), PromEscape(st.key), PromEscape(st.live_version),
                   ServableStateName(st.state), st.live_version.empty() ? 0 : 1);
  }
  // Rows / calls is the mean batch the PredictBatcher formed from concurrent requests.
  *out +=
      "# HELP mlpipe_model_calls_total Model calls (one per batch of concurrent requests' rows).\n"
      "# TYPE mlpipe_model_calls_total counter\n";
  std::string rows_text;
  auto rows_it = std::back_inserter(rows_text);
  // The shadow's calls are its copies', under its own variant name.
  const SnapshotPtr snap = deployment();
  std::vector<const VariantConfig*> served;
  for (const VariantConfig& v : snap->config.variants) served.push_back(&v);
  if (snap->config.shadow) served.push_back(&*snap->config.shadow);
  for (const VariantConfig* variant : served) {
    auto model = manager_->Get(variant->name);
    if (!model) continue;
    fmt::format_to(it, "mlpipe_model_calls_total{{variant=\"{}\",version=\"{}\"}} {}\n",
                   PromEscape(variant->name), PromEscape(model->version()), model->batcher().calls());
    fmt::format_to(rows_it, "mlpipe_model_rows_total{{variant=\"{}\",version=\"{}\"}} {}\n",
                   PromEscape(variant->name), PromEscape(model->version()), model->batcher().rows());
  }
  *out +=
      "# HELP mlpipe_model_rows_total Rows predicted by model calls.\n"
      "# TYPE mlpipe_model_rows_total counter\n";
  *out += rows_text;
  *out +=
      "# HELP mlpipe_prediction_log_records_total Prediction log records by result.\n"
      "# TYPE mlpipe_prediction_log_records_total counter\n";
  fmt::format_to(it, "mlpipe_prediction_log_records_total{{result=\"written\"}} {}\n", log_->written());
  fmt::format_to(it, "mlpipe_prediction_log_records_total{{result=\"dropped\"}} {}\n", log_->dropped());
  fmt::format_to(it, "mlpipe_prediction_log_records_total{{result=\"error\"}} {}\n", log_->write_errors());
}

std::shared_ptr<const ModelServer::Snapshot> ModelServer::deployment() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return snapshot_;
}

void ModelServer::Publish(SnapshotPtr next) {
  SnapshotPtr old;  // released outside the lock
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  old = std::exchange(snapshot_, std::move(next));
}

Status ModelServer::ValidateNext(const DeploymentConfig& next) const {
  const DeploymentConfig& d = options_.deployment;
  if (next.model != d.model) {
    return InvalidArgumentError(
        fmt::format("this server serves model '{}', the new revision names '{}' (a running "
                    "server keeps its model: start another one)",
                    d.model, next.model));
  }
  if (next.name != d.name) {
    return InvalidArgumentError(
        fmt::format("this server serves deployment '{}', the new revision is of '{}'", d.name, next.name));
  }
  if (next.variants.empty()) return InvalidArgumentError("the new revision has no variants");
  std::set<std::string> names;
  double total = 0;
  for (const VariantConfig& v : next.variants) {
    if (v.name.empty()) return InvalidArgumentError("the new revision has a variant without a name");
    if (!names.insert(v.name).second) return InvalidArgumentError("duplicate variant '" + v.name + "'");
    if (!(v.weight >= 0) || !std::isfinite(v.weight)) {
      return InvalidArgumentError(fmt::format("variant '{}': weight must be a finite number >= 0", v.name));
    }
    total += v.weight;
  }
  if (!(total > 0))
    return InvalidArgumentError("the new revision's weights sum to 0: no variant would answer");
  if (next.shadow && names.count(next.shadow->name) > 0) {
    return InvalidArgumentError("shadow '" + next.shadow->name + "' is also a variant");
  }
  return OkStatus();
}

Status ModelServer::ApplyDeployment(DeploymentConfig next, std::string revision) {
  std::lock_guard<std::mutex> apply(apply_mu_);
  const SnapshotPtr current = deployment();
  auto fail = [&](const Status& s) {
    Log(fmt::format("serve: deployment {} revision {} rejected; revision {} keeps serving: {}",
                    options_.deployment.name, revision, current->revision, s.ToString()));
    return s.WithContext("revision " + revision);
  };
  if (Status s = ValidateNext(next); !s.ok()) return fail(s);

  // What each servable serves now, by name (variants and the shadow).
  std::map<std::string, std::string> live_specs;
  for (const VariantConfig& v : current->config.variants) live_specs[v.name] = v.spec.ToString();
  if (current->config.shadow)
    live_specs[current->config.shadow->name] = current->config.shadow->spec.ToString();
  std::vector<const VariantConfig*> wanted;
  for (const VariantConfig& v : next.variants) wanted.push_back(&v);
  if (next.shadow) wanted.push_back(&*next.shadow);
  // By name, copied: `next` is moved into the snapshot before the old
  // servables are dropped (the shadow lives inside it, not in a vector's buffer).
  std::set<std::string> wanted_names;
  for (const VariantConfig* v : wanted) wanted_names.insert(v->name);

  // New or changed sources are loaded and warmed before anyone is routed to them.
  std::vector<std::string> added, changed;
  for (const VariantConfig* v : wanted) {
    auto it = live_specs.find(v->name);
    if (it != live_specs.end() && it->second == v->spec.ToString()) continue;
    const bool known = manager_->HasServable(v->name);
    if (Status s = manager_->PrepareServable(v->name, next.model, v->spec); !s.ok()) {
      for (const std::string& name : added) manager_->RemoveServable(name);
      return fail(s);
    }
    (known ? changed : added).push_back(v->name);
  }

  auto snap = std::make_shared<Snapshot>();
  for (const VariantConfig& v : next.variants) snap->weights.push_back(v.weight);
  snap->config = std::move(next);
  snap->revision = std::move(revision);
  const SnapshotPtr published = snap;
  Publish(std::move(snap));

  // Variants no longer named go after the swap: requests holding their models finish on them.
  std::vector<std::string> removed;
  for (const auto& [name, spec] : live_specs) {
    if (wanted_names.count(name) == 0) {
      manager_->RemoveServable(name);
      removed.push_back(name);
    }
  }
  std::string weights;
  for (const VariantConfig& v : published->config.variants) {
    weights += fmt::format("{}{}={}", weights.empty() ? "" : " ", v.name, v.weight);
  }
  auto list = [](const char* what, const std::vector<std::string>& names) {
    return names.empty() ? std::string() : fmt::format("; {} {}", what, fmt::join(names, ", "));
  };
  Log(fmt::format("serve: deployment {} revision {} live: {}{}{}{}", published->config.name,
                  published->revision, weights, list("added", added), list("source changed", changed),
                  list("dropped", removed)));
  if (options_.on_deployment) options_.on_deployment(published->config, published->revision);
  return OkStatus();
}

StatusOr<FollowResult> ModelServer::ReloadDeployment() {
  if (!follower_) {
    return FailedPreconditionError(
        "this server's deployment is not followed (it was given by flags); nothing to reload");
  }
  return follower_->PollNow(/*forced=*/true);
}

}  // namespace mlpipe::serving
