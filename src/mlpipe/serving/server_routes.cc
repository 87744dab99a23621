// ModelServer's routes: the path is split by hand (no regex per request) and
// each route fills a Reply. See docs/http-api.md.
#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "mlpipe/base/bearer_token.h"
#include "mlpipe/serving/http_status.h"
#include "mlpipe/serving/oip_binary.h"
#include "mlpipe/serving/routing.h"
#include "mlpipe/serving/server.h"

namespace mlpipe::serving {

namespace {

using json = nlohmann::json;
constexpr size_t kMaxParts = 8;

// "/v2/models/x/infer" -> {"v2", "models", "x", "infer"}; kMaxParts + 1 if longer.
size_t SplitPath(std::string_view path, std::string_view* parts) {
  size_t n = 0;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    if (n == kMaxParts) return kMaxParts + 1;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    parts[n++] = path.substr(i, j - i);
    i = j;
  }
  return n;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

void ModelServer::Dispatch(const HttpRequest& req, HttpResponse& res) {
  metrics_.RequestStarted();
  const int64_t start = options_.clock->MonotonicNanos();
  SnapshotPtr snap = deployment();  // this request's deployment, for its whole life
  Reply r;
  Route(req, req.method == "POST", snap, &r);
  res.status = r.code;
  res.headers.emplace_back("X-Mlpipe-Deployment-Revision", snap->revision);
  if (!r.variant.empty()) res.headers.emplace_back("X-Mlpipe-Variant", r.variant);
  if (!r.version.empty()) res.headers.emplace_back("X-Mlpipe-Model-Version", r.version);
  if (!r.request_id.empty()) res.headers.emplace_back("X-Request-Id", r.request_id);
  for (auto& h : r.headers) res.headers.push_back(std::move(h));
  res.content_type = r.content_type;
  res.body = std::move(r.body);
  if (r.model_route) {
    const double secs = static_cast<double>(options_.clock->MonotonicNanos() - start) / 1e9;
    metrics_.RecordRequest(r.code == 404 ? "" : options_.deployment.model, r.version, r.variant, r.code,
                           secs);
    counters_.RecordRequest(r.variant, r.code, secs, r.unit_key, snap->revision);
  }
  metrics_.RequestEnded();
}

void ModelServer::Route(const HttpRequest& req, bool post, SnapshotPtr& snap, Reply* r) {
  std::string_view p[kMaxParts];
  const size_t n = SplitPath(req.path, p);
  // A known path asked with another method: 405 naming the methods it takes.
  auto only = [&](std::string_view allowed) {
    r->code = 405;
    r->body = ErrorBody(fmt::format("{} {} is not a route; use {}", req.method, req.path, allowed));
    r->headers.emplace_back("Allow", std::string(allowed));
  };
  constexpr std::string_view kGet = "GET, HEAD";
  constexpr std::string_view kPost = "POST";
  if (n >= 3 && p[0] == "v2" && p[1] == "models") {
    const std::string name(p[2]);
    std::string version;
    size_t rest = 3;
    if (n >= 5 && p[3] == "versions") {
      version = std::string(p[4]);
      rest = 5;
    }
    if (rest == n) return post ? only(kGet) : ModelMetadata(*snap, name, version, false, r);
    if (rest + 1 == n && p[rest] == "ready")
      return post ? only(kGet) : ModelMetadata(*snap, name, version, true, r);
    if (rest + 1 == n && p[rest] == "infer")
      return post ? Predict(req, name, version, false, snap, r) : only(kPost);
  }
  if (n == 3 && p[0] == "v1" && p[1] == "models") {
    std::string_view tail = p[2];
    constexpr std::string_view kSuffix = ":predict";
    if (tail.size() > kSuffix.size() && tail.substr(tail.size() - kSuffix.size()) == kSuffix) {
      if (!post) return only(kPost);
      return Predict(req, std::string(tail.substr(0, tail.size() - kSuffix.size())), "", true, snap, r);
    }
  }
  if (n == 1 && p[0] == "metrics") {
    if (post) return only(kGet);
    r->body = metrics_.Render();
    r->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return;
  }
  if (n == 3 && p[0] == "v2" && p[1] == "health" && (p[2] == "live" || p[2] == "ready")) {
    if (post) return only(kGet);
    if (p[2] == "live") {
      r->body = R"({"live":true})";
      return;
    }
    const bool ready = manager_->AllAvailable();
    r->code = ready ? 200 : 503;
    r->body = ready ? R"({"ready":true})" : R"({"ready":false,"error":"a model is not loaded"})";
    return;
  }
  if (n == 1 && p[0] == "v2") {
    if (post) return only(kGet);
    r->body = Dump({{"name", "mlpipe"},
                    {"version", MLPIPE_VERSION},
                    {"extensions",
                     {"model_repository", "binary_tensor_data", "mlpipe_deployments", "mlpipe_feedback"}}});
    return;
  }
  if (n == 5 && p[0] == "v2" && p[1] == "repository" && p[2] == "models" &&
      (p[4] == "load" || p[4] == "unload")) {
    if (!post) return only(kPost);
    if (!Authorized(req, r)) return;
    return Repository(std::string(p[3]), std::string(p[4]), r);
  }
  if (n == 3 && p[0] == "v2" && p[1] == "repository" && p[2] == "index") {
    if (!Authorized(req, r)) return;
    return RepositoryIndex(r);  // GET, or POST as the protocol's repository extension has it
  }
  if (n == 2 && p[0] == "v2" && p[1] == "feedback") {
    if (!post) return only(kPost);
    if (!Authorized(req, r)) return;
    return Feedback(req, r);
  }
  if (n == 4 && p[0] == "v2" && p[1] == "deployments" && p[3] == "stats") {
    if (post) return only(kGet);
    return DeploymentStats(*snap, std::string(p[2]), r);
  }
  if (n == 4 && p[0] == "v2" && p[1] == "deployments" && p[3] == "reload") {
    if (!post) return only(kPost);
    if (!Authorized(req, r)) return;
    return DeploymentReload(std::string(p[2]), snap, r);
  }
  r->code = 404;
  r->body = ErrorBody(fmt::format("no route {} {}", req.method, req.path));
}

bool ModelServer::Authorized(const HttpRequest& req, Reply* r) const {
  if (options_.token.empty() || TokenMatches(req.header("Authorization"), options_.token)) return true;
  r->code = 401;
  r->body = ErrorBody(
      "this server listens beyond loopback: a request that changes state (load, unload, feedback, reload) "
      "or reads the repository index needs its bearer token (Authorization: Bearer TOKEN; the token is in "
      "serve's --token-file)");
  r->headers.emplace_back("WWW-Authenticate", "Bearer");
  return false;
}

void ModelServer::ModelMetadata(const Snapshot& snap, const std::string& name, const std::string& version,
                                bool ready_only, Reply* r) {
  if (!ServesModel(name)) {
    r->code = 404;
    r->body = ErrorBody("unknown model '" + name + "'");
    return;
  }
  std::shared_ptr<const ServedModel> model;
  for (const VariantConfig& v : snap.config.variants) {
    auto m = manager_->Get(v.name);
    if (m && (version.empty() || m->version() == version)) {
      model = std::move(m);
      r->variant = v.name;
      break;
    }
  }
  if (!model && !version.empty()) {
    r->code = 404;
    r->body = ErrorBody(fmt::format("model '{}' has no live version '{}'", name, version));
    return;
  }
  if (ready_only) {
    r->code = model ? 200 : 503;
    r->body = Dump({{"name", name}, {"ready", model != nullptr}});
    return;
  }
  if (!model) {
    r->code = 503;
    r->body = ErrorBody("model '" + name + "' is not ready");
    return;
  }
  r->version = model->version();
  r->body = Dump(model->MetadataJson(name));
}

StatusOr<std::shared_ptr<const ServedModel>> ModelServer::ChooseModel(const HttpRequest& req,
                                                                      const Snapshot& snap,
                                                                      const std::string& name,
                                                                      const std::string& version,
                                                                      size_t* chosen) {
  const auto& variants = snap.config.variants;
  if (!version.empty()) {
    for (size_t i = 0; i < variants.size(); ++i) {
      auto m = manager_->Get(variants[i].name);
      if (m && m->version() == version) {
        *chosen = i;
        return m;
      }
    }
    return NotFoundError(fmt::format("model '{}' has no live version '{}'", name, version));
  }
  const std::string& sticky_header = snap.config.sticky_header;
  std::string key;
  if (!sticky_header.empty()) key = req.header(sticky_header);
  *chosen = RouteRequest(snap.weights, key);
  auto model = manager_->Get(variants[*chosen].name);
  // A variant without a live version hands its share to the next live one.
  for (size_t k = 1; !model && k < variants.size(); ++k) {
    size_t i = (*chosen + k) % variants.size();
    if (!(snap.weights[i] > 0)) continue;
    model = manager_->Get(variants[i].name);
    if (model) *chosen = i;
  }
  if (!model) return UnavailableError("model '" + name + "' is not ready (no version loaded)");
  return model;
}

void ModelServer::Predict(const HttpRequest& req, const std::string& name, const std::string& version,
                          bool v1, SnapshotPtr& snap, Reply* r) {
  r->model_route = true;
  auto fail = [r](const Status& s) {
    r->code = HttpStatusFor(s);
    r->body = ErrorBody(s.message());
  };
  if (!ServesModel(name)) return fail(NotFoundError("unknown model '" + name + "'"));
  size_t chosen = 0;
  auto found = ChooseModel(req, *snap, name, version, &chosen);
  if (!found.ok()) {
    // The variants this request's snapshot names may have been dropped by a
    // change published since: the request moves to the new snapshot, whole.
    SnapshotPtr now = deployment();
    if (now != snap) {
      snap = std::move(now);
      found = ChooseModel(req, *snap, name, version, &chosen);
    }
  }
  if (!found.ok()) return fail(found.status());
  std::shared_ptr<const ServedModel> model = std::move(found).value();
  const auto& variants = snap->config.variants;
  r->variant = variants[chosen].name;
  r->version = model->version();
  if (version.empty() && !snap->config.sticky_header.empty()) {
    r->unit_key = std::string(req.header(snap->config.sticky_header));
  }
  const int64_t start = options_.clock->MonotonicNanos();
  // The binary tensor extension: the JSON header's size, the tensors after it.
  size_t json_size = std::string_view::npos;
  if (const std::string_view h = req.header("Inference-Header-Content-Length"); !h.empty()) {
    if (v1) {
      return fail(InvalidArgumentError(
          "the binary tensor extension (Inference-Header-Content-Length) is for /v2/models/NAME/infer only"));
    }
    auto size = ParseInferenceHeaderLength(h, req.body.size());
    if (!size.ok()) return fail(size.status());
    json_size = *size;
  }
  auto parsed = v1 ? ParsePredictRequest(req.body, *model) : ParseInferRequest(req.body, *model, json_size);
  if (!parsed.ok()) return fail(parsed.status());
  ParsedRequest& pr = *parsed;
  if (pr.id.empty()) {
    pr.id = req.header("X-Request-Id");
    if (pr.id.empty()) pr.id = NextRequestId();
  }
  r->request_id = pr.id;
  const int64_t model_start = options_.clock->MonotonicNanos();
  auto preds = PredictRows(*model, pr);
  counters_.RecordModelLatency(r->variant,
                               static_cast<double>(options_.clock->MonotonicNanos() - model_start) / 1e9);
  if (!preds.ok()) return fail(preds.status());
  r->body.reserve(256);
  if (v1) {
    WritePredictResponse(*model, *preds, &r->body);
  } else {
    const size_t header_size = WriteInferResponse(name, *model, pr, *preds, &r->body);
    if (header_size > 0) {
      r->headers.emplace_back("Inference-Header-Content-Length", std::to_string(header_size));
      r->content_type = "application/octet-stream";
    }
  }
  // Monitoring: prediction distribution, feedback join, shadow copy, log.
  const std::string& model_label = options_.deployment.model;
  std::vector<std::string> labels;
  std::vector<double> values;
  for (const ml::RowPrediction& p : *preds) {
    if (model->is_classifier()) {
      metrics_.RecordClass(model_label, r->variant, r->version, p.label);
      labels.push_back(p.label);
    } else {
      metrics_.RecordValue(model_label, r->variant, r->version, p.value, model->value_buckets());
      values.push_back(p.value);
    }
  }
  counters_.RecordClasses(r->variant, labels);
  feedback_.RecordPrediction(pr.id, r->variant, r->version, std::move(labels), std::move(values));
  if (snap->config.shadow) {
    const std::string& shadow_name = snap->config.shadow->name;
    auto shadow = manager_->Get(shadow_name);
    bool queued = false;
    if (shadow) {
      std::lock_guard<std::mutex> lock(shadow_mu_);
      if (shadow_jobs_.size() < options_.shadow_queue) {
        shadow_jobs_.push_back({std::move(shadow), shadow_name, pr});
        queued = true;
      }
    }
    if (queued) {
      shadow_cv_.notify_one();
    } else {
      metrics_.RecordShadow(model_label, shadow_name, "dropped");
      counters_.RecordDropped(shadow_name);
    }
  }
  LogPrediction(*model, r->variant, pr, *preds, start, /*shadow=*/false);
}

void ModelServer::LogPrediction(const ServedModel& model, const std::string& variant,
                                const ParsedRequest& request,
                                const std::vector<ml::RowPrediction>& predictions, int64_t start_ns,
                                bool shadow) {
  if (!log_->Sample()) return;
  PredictionRecord rec;
  rec.id = request.id;
  rec.time_ns = options_.clock->WallNanos();
  rec.variant = variant;
  rec.version = model.version();
  rec.shadow = shadow;
  rec.latency_s = static_cast<double>(options_.clock->MonotonicNanos() - start_ns) / 1e9;
  rec.classifier = model.is_classifier();
  rec.input_names = model.input_names();
  rec.columns = request.columns;
  rec.predictions = predictions;
  log_->Enqueue(rec);
}

void ModelServer::Repository(const std::string& name, const std::string& action, Reply* r) {
  Status s;
  if (action == "load") {
    s = manager_->Reload(name);
  } else if (action == "unload") {
    s = manager_->Unload(name);
  } else {
    s = NotFoundError("no repository action '" + action + "' (load or unload)");
  }
  if (!s.ok()) {
    r->code = HttpStatusFor(s);
    if (s.code() == StatusCode::kDataLoss || s.code() == StatusCode::kInternal) r->code = 500;
    r->body = ErrorBody(s.message());
    return;
  }
  json versions = json::object();
  json states = json::object();
  for (const ServableStatus& st : manager_->Statuses()) {
    if (st.model_name != name) continue;
    versions[st.key] = st.live_version;
    states[st.key] = {{"state", ServableStateName(st.state)}, {"reason", st.last_reason}};
  }
  r->body = Dump({{"name", name}, {"action", action}, {"live_versions", versions}, {"variants", states}});
}

void ModelServer::RepositoryIndex(Reply* r) {
  json models = json::array();
  for (const ServableStatus& st : manager_->Statuses()) {
    models.push_back({{"name", st.model_name},
                      {"variant", st.key},
                      {"source", st.spec},
                      {"version", st.live_version},
                      {"state", ServableStateName(st.state)},
                      {"reason", st.last_reason},
                      {"error", st.last_error},
                      {"failed_version", st.failed_version},
                      {"loads", st.loads},
                      {"load_failures", st.load_failures},
                      {"last_load_seconds", st.last_load_seconds}});
  }
  r->body = Dump(models);
}

void ModelServer::Feedback(const HttpRequest& req, Reply* r) {
  json j = json::parse(req.body, nullptr, false);
  auto fail = [r](const Status& s) {
    r->code = HttpStatusFor(s);
    r->body = ErrorBody(s.message());
  };
  if (j.is_discarded() || !j.is_object())
    return fail(InvalidArgumentError("malformed JSON in the request body"));
  auto id = j.find("id");
  auto label = j.find("label");
  if (label == j.end()) label = j.find("labels");
  if (id == j.end() || !id->is_string() || label == j.end()) {
    return fail(InvalidArgumentError(R"(feedback needs {"id": "<request id>", "label": <true label>})"));
  }
  auto m = feedback_.AddFeedback(id->get<std::string>(), *label);
  if (!m.ok()) return fail(m.status());
  FeedbackRecord rec;
  rec.id = id->get<std::string>();
  rec.time_ns = options_.clock->WallNanos();
  rec.variant = m->variant;
  rec.version = m->version;
  rec.label = *label;
  rec.rows = m->rows;
  rec.correct = m->correct;
  log_->Enqueue(std::move(rec));
  r->variant = m->variant;
  r->version = m->version;
  r->body = Dump({{"id", id->get<std::string>()},
                  {"variant", m->variant},
                  {"version", m->version},
                  {"rows", m->rows},
                  {"correct", m->correct}});
}

void ModelServer::DeploymentStats(const Snapshot& snap, const std::string& name, Reply* r) {
  const DeploymentConfig& d = snap.config;
  if (name != d.name && name != d.model) {
    r->code = 404;
    r->body = ErrorBody("unknown deployment '" + name + "'");
    return;
  }
  auto stats = feedback_.Stats();
  auto statuses = manager_->Statuses();
  auto counts = counters_.Snapshot();
  auto variant_json = [&](const VariantConfig& v, double weight, bool shadow) {
    json j = {{"name", v.name}, {"source", v.spec.ToString()}, {"shadow", shadow}};
    if (!shadow) j["weight"] = weight;
    for (const ServableStatus& st : statuses) {
      if (st.key == v.name) {
        j["version"] = st.live_version;
        j["state"] = ServableStateName(st.state);
      }
    }
    VariantFeedback f;
    if (auto it = stats.find(v.name); it != stats.end()) f = it->second;
    VariantCounts c;
    if (auto it = counts.find(v.name); it != counts.end()) c = it->second;
    j["predictions"] = f.predictions;
    j["feedback"] = f.feedback;
    if (f.classifier) {
      j["correct"] = f.correct;
      j["accuracy"] = f.feedback > 0 ? json(f.Score()) : json(nullptr);
    } else {
      j["abs_error_sum"] = f.abs_error_sum;
      j["mae"] = f.feedback > 0 ? json(f.Score()) : json(nullptr);
    }
    j["requests"] = c.requests;
    j["units"] = c.units;
    j["errors"] = c.errors;
    j["client_errors"] = c.client_errors;
    j["latency"] = c.LatencyJson();
    j["model_latency"] = c.ModelLatencyJson();
    j["classes"] = c.classes;
    if (shadow) j["dropped"] = c.dropped;
    return j;
  };
  json variants = json::array();
  for (size_t i = 0; i < d.variants.size(); ++i)
    variants.push_back(variant_json(d.variants[i], snap.weights[i], false));
  json out = {
      {"deployment", d.name},      {"model", d.model},          {"sticky_header", d.sticky_header},
      {"revision", snap.revision}, {"started_ns", started_ns_}, {"pid", static_cast<int64_t>(::getpid())},
      {"variants", variants}};
  if (d.shadow) out["shadow"] = variant_json(*d.shadow, 0, true);
  VariantCounts unrouted;
  if (auto it = counts.find(""); it != counts.end()) unrouted = it->second;
  out["unrouted"] = {{"requests", unrouted.requests},
                     {"errors", unrouted.errors},
                     {"client_errors", unrouted.client_errors}};
  if (follower_) {
    const FollowResult last = follower_->last();
    out["follow"] = {
        {"revision", last.revision},
        {"failed_revision", last.failed_revision == 0 ? json(nullptr) : json(last.failed_revision)},
        {"error", last.error.ok() ? json(nullptr) : json(last.error.ToString())}};
  }
  r->body = Dump(out);
}

void ModelServer::DeploymentReload(const std::string& name, SnapshotPtr& snap, Reply* r) {
  auto fail = [r](const Status& s) {
    r->code = HttpStatusFor(s);
    r->body = ErrorBody(s.message());
  };
  if (name != options_.deployment.name && name != options_.deployment.model) {
    return fail(NotFoundError("unknown deployment '" + name + "'"));
  }
  auto polled = ReloadDeployment();
  if (!polled.ok()) return fail(polled.status());
  snap = deployment();  // the answer's header names the revision now live
  json out = {
      {"deployment", options_.deployment.name},
      {"revision", snap->revision},
      {"changed", polled->changed},
      {"failed_revision", polled->failed_revision == 0 ? json(nullptr) : json(polled->failed_revision)},
      {"error", polled->error.ok() ? json(nullptr) : json(polled->error.ToString())}};
  // 200: the latest revision is live. 409: a newer revision is not (it was
  // rejected or failed to load; the live one keeps serving). 503: the record
  // cannot be read now.
  if (polled->failed_revision != 0) {
    r->code = 409;
  } else if (!polled->error.ok()) {
    r->code = 503;
  }
  r->body = Dump(out);
}

}  // namespace mlpipe::serving
