// mlpipe serve: the model server. Flags -> serving::ServerOptions; runs until
// SIGTERM / SIGINT, then stops accepting, drains in-flight requests (up to
// --grace) and exits 0.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "mlpipe/base/bearer_token.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/serve_flags.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/serving/deployment.h"
#include "mlpipe/serving/deployment_feed.h"
#include "mlpipe/serving/model_source.h"
#include "mlpipe/serving/prediction_log.h"
#include "mlpipe/serving/server.h"
#include "mlpipe/serving/store_deployment_feed.h"
#include "mlpipe/spec/units.h"

namespace mlpipe::cli {

namespace {

// <log dir>/endpoint.json: where this deployment answers and what each
// variant serves, for `mlpipe server`'s monitors (they scrape its /metrics
// and compare its prediction log with the served model's reference
// statistics). Written whole (temp + rename) at start and again each time a
// new revision of the deployment goes live; stale once the pid is gone.
void WriteEndpoint(const std::string& log_dir, const std::string& host, int port,
                   const serving::DeploymentConfig& deployment, const std::string& revision) {
  nlohmann::json variants = nlohmann::json::array();
  for (const auto& v : deployment.variants) {
    variants.push_back({{"name", v.name},
                        {"model", v.spec.model_ref},
                        {"package", v.spec.package_path},
                        {"weight", v.weight}});
  }
  const std::string scrape_host = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
  const nlohmann::json doc = {{"deployment", deployment.name},
                              {"url", fmt::format("http://{}:{}", scrape_host, port)},
                              {"pid", getpid()},
                              {"revision", revision},
                              {"variants", variants}};
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  const std::string path = log_dir + "/endpoint.json";
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    out << doc.dump(2) << "\n";
  }
  std::filesystem::rename(tmp, path, ec);
}

// --deployment names a file if one exists there or it looks like one;
// otherwise a deployment stored in the workspace.
bool IsDeploymentFile(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) return true;
  const std::string ext = std::filesystem::path(arg).extension().string();
  return ext == ".yaml" || ext == ".yml" || arg.find('/') != std::string::npos;
}

bool NeedsRegistry(const serving::DeploymentConfig& d) {
  bool need = d.shadow && !d.shadow->spec.model_ref.empty();
  for (const auto& v : d.variants) need = need || !v.spec.model_ref.empty();
  return need;
}

Status Serve(const ServeFlags& f) {
  const int given = !f.model.empty() + !f.package.empty() + !f.deployment.empty();
  if (given != 1) return InvalidArgumentError("give exactly one of --model, --package, --deployment");
  ASSIGN_OR_RETURN(int64_t poll_ns, spec::ParseDuration(f.poll));
  ASSIGN_OR_RETURN(int64_t grace_ns, spec::ParseDuration(f.grace));
  ASSIGN_OR_RETURN(int64_t timeout_ns, spec::ParseDuration(f.timeout));
  ASSIGN_OR_RETURN(int64_t max_body, spec::ParseSize(f.max_body));

  auto stores = OpenAll();
  serving::DeploymentConfig deployment;
  // A deployment that can change while serving: its feed and the revision served first.
  std::unique_ptr<serving::DeploymentFeed> feed;
  int64_t feed_revision = 0;
  std::string revision = "0";
  if (!f.deployment.empty() && IsDeploymentFile(f.deployment)) {
    ASSIGN_OR_RETURN(auto file_feed, serving::FileDeploymentFeed::Create(f.deployment));
    deployment = file_feed->initial();
    feed_revision = 1;
    feed = std::move(file_feed);
  } else if (!f.deployment.empty()) {
    if (!stores.ok()) return stores.status().WithContext("stored deployment '" + f.deployment + "'");
    ASSIGN_OR_RETURN(serving::StoredDeployment stored,
                     serving::OpenStoredDeployment(MetadataLocation(stores->ws, stores->config), f.deployment));
    deployment = std::move(stored.config);
    feed_revision = stored.revision;
    feed = std::move(stored.feed);
  } else if (!f.model.empty()) {
    ASSIGN_OR_RETURN(auto parsed, serving::ParseModelFlag(f.model));
    deployment = serving::DeploymentConfig::SingleVariant(parsed.first, parsed.second);
  } else {
    serving::ModelSpec spec;
    spec.package_path = f.package;
    std::string name = std::filesystem::path(f.package).lexically_normal().filename().string();
    if (name.empty() || name == "." || name == "..") name = "model";
    deployment = serving::DeploymentConfig::SingleVariant(name, spec);
  }

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (feed) revision = std::to_string(feed_revision);
  if (!stores.ok() && NeedsRegistry(deployment)) return stores.status();
  std::string log_dir = f.log_dir;
  if (log_dir.empty() && stores.ok()) log_dir = serving::ServingLogDir(stores->ws.root(), deployment.name);
  if (log_dir.empty()) {
    std::fprintf(stderr, "serve: no workspace: the prediction log is off (set --log-dir or MLPIPE_HOME)\n");
  }
  serving::RegistrySource source(stores.ok() ? stores->db.get() : nullptr,
                                 stores.ok() ? stores->objects.get() : nullptr);

  serving::ServerOptions o;
  if (!IsLoopbackHost(f.host)) {
    // Beyond loopback, the routes that change state need the bearer token of
    // `mlpipe server` (the same file by default).
    std::string token_file = f.token_file;
    if (token_file.empty() && stores.ok()) token_file = stores->ws.root() + "/token";
    if (token_file.empty()) {
      return InvalidArgumentError(fmt::format(
          "serving on {} (beyond loopback) needs a bearer token: give --token-file (no workspace for the "
          "default .mlpipe/token)",
          f.host));
    }
    ASSIGN_OR_RETURN(o.token, LoadOrCreateToken(token_file));
    std::fprintf(stderr,
                 "serve: %s is beyond loopback: load, unload, feedback, reload and the repository index "
                 "need the bearer token in %s\n",
                 f.host.c_str(), token_file.c_str());
  }
  o.deployment = std::move(deployment);
  o.revision = revision;
  o.feed = feed.get();
  o.feed_revision = feed_revision;
  serving::ModelServer* running = nullptr;  // set before Start, which starts the feed's follower
  std::mutex endpoint_mu;                   // the start and a new revision may write at once
  auto write_endpoint = [&] {
    if (log_dir.empty() || running == nullptr) return;
    std::lock_guard<std::mutex> lock(endpoint_mu);
    auto live = running->deployment();  // read under the lock: the file never goes back to an older revision
    WriteEndpoint(log_dir, f.host, running->port(), live->config, live->revision);
  };
  o.on_deployment = [&write_endpoint](const serving::DeploymentConfig&, const std::string&) {
    write_endpoint();
  };
  o.source = &source;
  o.reuse_port = f.reuse_port;
  o.host = f.host;
  o.port = f.port;
  o.threads = f.threads;
  o.max_body_bytes = static_cast<size_t>(max_body);
  o.write_timeout_s = static_cast<int>(std::max<int64_t>(1, timeout_ns / 1'000'000'000));
  ASSIGN_OR_RETURN(o.request_timeout_s, RequestTimeoutSeconds(f.transport));
  o.max_connections = f.transport.max_connections;
  o.max_queued_requests = f.transport.max_queued;
  o.poll_interval_ns = poll_ns;
  o.log_dir = log_dir;
  o.log_sample = f.log_sample;
  o.feedback_window = static_cast<size_t>(f.feedback_window);
  ASSIGN_OR_RETURN(std::unique_ptr<serving::ModelServer> server, serving::ModelServer::Create(std::move(o)));
  bool any = false;
  for (const auto& st : server->manager().Statuses())
    any = any || st.state == serving::ServableState::kAvailable;
  if (!any) {
    auto st = server->manager().Statuses();
    return FailedPreconditionError("no model version could be loaded: " +
                                   (st.empty() ? std::string("no variants") : st[0].last_error));
  }
  running = server.get();
  RETURN_IF_ERROR(server->Start());
  write_endpoint();
  std::printf("listening on http://%s:%d\n", f.host.c_str(), server->port());
  std::fflush(stdout);

  int signo = 0;
  sigwait(&signals, &signo);
  std::fprintf(stderr, "serve: %s: draining in-flight requests (up to %s)\n",
               signo == SIGTERM ? "SIGTERM" : "SIGINT", f.grace.c_str());
  if (!server->Shutdown(grace_ns)) {
    std::fprintf(stderr, "serve: requests were still running after %s\n", f.grace.c_str());
  }
  std::fprintf(stderr, "serve: stopped\n");
  return OkStatus();
}

}  // namespace

StatusOr<int> RequestTimeoutSeconds(const TransportFlags& flags) {
  ASSIGN_OR_RETURN(int64_t ns, spec::ParseDuration(flags.request_timeout));
  if (ns < 1'000'000'000) return InvalidArgumentError("--request-timeout must be at least 1s");
  return static_cast<int>(std::min<int64_t>(ns / 1'000'000'000, INT32_MAX));
}

void AddServeCommand(CLI::App& app, Action* action) {
  static ServeFlags flags;
  CLI::App* cmd = AddServeFlags(app, &flags);
  cmd->callback([action] { *action = [] { return Serve(flags); }; });
}

}  // namespace mlpipe::cli
