// mlpipe server: the control plane (src/mlpipe/server/server.h), run by the
// mlpipe-serve executable like `mlpipe serve`.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "mlpipe/base/self_exe.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/server_flags.h"
#include "mlpipe/cli/shared_objects.h"
#include "mlpipe/monitor/alert_rules.h"
#include "mlpipe/server/server.h"
#include "mlpipe/spec/units.h"
#include "mlpipe/spec/workspace_config.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::cli {
namespace {

// The mlpipe that runs pipelines: the one `mlpipe server` was started as
// (MLPIPE_SELF, set by mlpipe before it execs this executable), else the
// mlpipe beside this one.
std::string MlpipeExecutable() {
  if (const char* self = std::getenv("MLPIPE_SELF"); self != nullptr && *self != '\0') return self;
  return SiblingExecutable("mlpipe");
}

Status RunServer(const ServerFlags& f) {
  if (f.print_alert_rules) {
    std::fputs(monitor::PrometheusAlertRules().c_str(), stdout);
    return OkStatus();
  }
  server::ServerOptions o;
  o.project_dir = std::filesystem::absolute(f.project.empty() ? "." : f.project).lexically_normal().string();
  while (o.project_dir.size() > 1 && o.project_dir.back() == '/') o.project_dir.pop_back();
  // The workspace's settings: where runs, artifacts and models are recorded.
  // (Before the workspace exists: the environment's alone.)
  ASSIGN_OR_RETURN(spec::WorkspaceConfig config,
                   spec::LoadWorkspaceConfig(store::Workspace(o.project_dir + "/.mlpipe").ConfigPath()));
  RETURN_IF_ERROR(spec::ApplyEnvironment(config));
  o.metadata = config.metadata;
  // The S3 store, checked before the server starts (exit 2 if it cannot work).
  ASSIGN_OR_RETURN(std::unique_ptr<store::S3Client> shared_objects, OpenSharedObjectsClient(config));
  o.shared_objects = shared_objects.get();
  o.default_pipelines = f.pipelines.empty();
  if (!f.pipelines.empty()) o.pipelines = f.pipelines;
  o.host = f.host;
  o.port = f.port;
  o.token_file = f.token_file;
  ASSIGN_OR_RETURN(o.grace_ns, spec::ParseDuration(f.grace));
  ASSIGN_OR_RETURN(o.poll_interval_ns, spec::ParseDuration(f.poll_interval));
  o.poll = f.poll;
  o.threads = f.threads;
  ASSIGN_OR_RETURN(o.request_timeout_s, RequestTimeoutSeconds(f.transport));
  o.max_connections = f.transport.max_connections;
  o.max_queued_requests = f.transport.max_queued;
  o.mlpipe_exe = MlpipeExecutable();
  ASSIGN_OR_RETURN(o.monitor.scrape_ns, spec::ParseDuration(f.scrape));
  ASSIGN_OR_RETURN(o.monitor.window_ns, spec::ParseDuration(f.drift_window));
  if (o.monitor.scrape_ns <= 0 || o.monitor.window_ns <= 0) {
    return InvalidArgumentError("--scrape and --drift-window must be positive durations");
  }
  for (const std::string& text : f.serve) {
    ASSIGN_OR_RETURN(server::ServeSpec spec, server::ParseServeSpec(text));
    for (const server::ServeSpec& other : o.serve) {
      if (other.deployment == spec.deployment) {
        return InvalidArgumentError(fmt::format("--serve {} is given twice", spec.deployment));
      }
    }
    o.serve.push_back(std::move(spec));
  }
  o.serve_stop_on_exit = f.serve_stop_on_exit;

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  ASSIGN_OR_RETURN(auto srv, server::Server::Create(std::move(o)));
  std::printf("mlpipe server: listening on http://%s:%d (%s)\n", f.host.c_str(), srv->port(),
              srv->Describe().c_str());
  std::fflush(stdout);
  std::thread waiter([&] {
    int signo = 0;
    sigwait(&signals, &signo);
    std::fprintf(stderr, "mlpipe server: %s: no new runs; running ones get %s to finish\n",
                 signo == SIGTERM ? "SIGTERM" : "SIGINT", f.grace.c_str());
    srv->RequestStop();
  });
  Status s = srv->Run();
  std::fprintf(stderr, "mlpipe server: stopped\n");
  // The waiter is in sigwait unless a signal ended Run: send one to end it.
  if (!srv->stop_requested()) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return s;
}

}  // namespace

void AddServerCommand(CLI::App& app, Action* action) {
  static ServerFlags flags;
  CLI::App* cmd = AddServerFlags(app, &flags);
  cmd->callback([action] { *action = [] { return RunServer(flags); }; });
}

}  // namespace mlpipe::cli
