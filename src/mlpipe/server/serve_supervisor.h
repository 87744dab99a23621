// ServeSupervisor: `mlpipe server --serve DEPLOYMENT[:PORT]` keeps one
// `mlpipe serve --deployment DEPLOYMENT --port PORT --reuse-port --poll 500ms`
// running per entry, each the leader of its own process group (the server's
// terminal signals do not reach it) with its output in
// <workspace>/server/serve-NAME.log.
//
// - Health: every `check_interval_ns` a GET /v2/health/live on the URL the
//   process's endpoint.json names (serving::ServingLogDir(ws, NAME)). A
//   process that exits, or fails `failures_to_restart` checks in a row, is
//   restarted (SIGTERM, SIGKILL after `term_grace_ns`) after a backoff of
//   1 s, 2 s, 4 s ... capped at 30 s, back to 1 s once a process stayed
//   healthy for 60 s.
// - Port: PORT 0 or absent takes any free port on the first start, then the
//   same port (read from endpoint.json) on every restart, also across server
//   restarts.
// - Adoption: a process endpoint.json names that is alive when the supervisor
//   starts keeps running (the server may have been killed -9 while it
//   served). One whose command line differs from the wanted one, or that runs
//   another executable than the current one (an upgrade), is replaced.
// - Replacement (that, or Restart): a successor starts on the same port with
//   SO_REUSEPORT; once it answers its health check and endpoint.json names it,
//   the old process gets SIGTERM (it closes its listener and drains its
//   in-flight requests), so no request fails.
// - Stop leaves the processes serving (the control plane may stop or be
//   upgraded without downtime) unless told to stop them.
//
// Every start, adoption, exit (with its status), failed check and restart is
// a server event ("serve.started", "serve.adopted", "serve.exited",
// "serve.unhealthy", "serve.restarted"); Snapshot() feeds /metrics.
//
// Not thread-safe except Snapshot(): the server's loop thread calls the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/status.h"
#include "mlpipe/server/event_bus.h"

namespace mlpipe::server {

// One --serve entry.
struct ServeSpec {
  std::string deployment;  // a stored deployment's name, or a deployment YAML file
  int port = 0;            // 0: any free port on the first start, then the same one
};

// "NAME" or "NAME:PORT" (PORT 0..65535). A path may contain ':' only as the
// port separator.
StatusOr<ServeSpec> ParseServeSpec(std::string_view text);

// The name a --serve entry serves under (its endpoint.json folder, its events'
// and metrics' label): a stored deployment's own name, or the `deployment:` of
// a YAML file (a path relative to `project_dir`). InvalidArgument for a file
// that is not a valid deployment.
StatusOr<std::string> ServedDeploymentName(const std::string& deployment, const std::string& project_dir);

// What a serve process's endpoint.json says.
struct ServeEndpoint {
  int64_t pid = 0;
  std::string url;  // http://HOST:PORT
  int port = 0;
};

// The side effects: processes, /proc, endpoint.json, the health probe. Real
// one: RealServeHost (serve_host_real.h); tests use a fake.
class ServeHost {
 public:
  virtual ~ServeHost() = default;
  // Starts `argv` as the leader of a new process group in `cwd`, stdout and
  // stderr appended to `log_path`. Returns its pid.
  virtual StatusOr<int64_t> Start(const std::vector<std::string>& argv, const std::string& cwd,
                                  const std::string& log_path) = 0;
  // nullopt while `pid` runs; once it is gone, how it ended ("exit 0",
  // "killed by SIGKILL", or "gone" for a process that is not our child).
  virtual std::optional<std::string> Exited(int64_t pid) = 0;
  // To the process's group.
  virtual void Signal(int64_t pid, int sig) = 0;
  // /proc/PID/cmdline; empty when unreadable.
  virtual std::vector<std::string> CommandLine(int64_t pid) = 0;
  // False when `pid` runs another executable file than this server (its
  // binary was replaced: an upgrade). True when it cannot be told.
  virtual bool RunsCurrentExecutable(int64_t pid) = 0;
  // The deployment's endpoint.json, nullopt when absent or unreadable.
  virtual std::optional<ServeEndpoint> Endpoint(const std::string& name) = 0;
  // GET URL/v2/health/live answers 200 within the probe's timeout.
  virtual bool Healthy(const std::string& url) = 0;
};

struct ServeSupervisorOptions {
  std::string mlpipe_exe;   // argv[0] of every serve process
  std::string project_dir;  // their working folder
  std::string log_dir;      // serve-NAME.log goes here
  std::string poll = "500ms";
  int64_t check_interval_ns = 1'000'000'000;
  int failures_to_restart = 3;
  int64_t start_timeout_ns = 60'000'000'000;  // a new process's time to answer its first check
  int64_t term_grace_ns = 5'000'000'000;      // SIGTERM -> SIGKILL
  int64_t backoff_initial_ns = 1'000'000'000;
  int64_t backoff_max_ns = 30'000'000'000;
  int64_t healthy_reset_ns = 60'000'000'000;  // healthy this long: the backoff starts over
};

// One supervised deployment as /metrics and the API show it.
struct ServeStatus {
  std::string deployment;  // the served name
  std::string spec;        // the --serve argument's deployment
  std::string state;       // "down", "starting", "up", "stopping"
  int64_t pid = 0;
  int port = 0;
  int64_t restarts = 0;
  bool up = false;  // answered its last health check
  bool replacing = false;
};

class ServeSupervisor {
 public:
  // `names[i]` is specs[i]'s ServedDeploymentName.
  ServeSupervisor(std::vector<ServeSpec> specs, std::vector<std::string> names, ServeHost& host,
                  EventBus& bus, Clock& clock, ServeSupervisorOptions options);

  // Adopts, starts, checks, restarts and replaces what is due.
  void Tick();
  // When the next check, start or signal is due (wall ns).
  int64_t NextDueNs() const;
  // Replaces the deployment's process with no downtime. NotFound for a
  // deployment not supervised; FailedPrecondition while it is not up (it is
  // restarted on its own) or already being replaced. Returns the old pid.
  StatusOr<int64_t> Restart(const std::string& name, const std::string& reason);
  // The control plane stops: with `stop_processes` every process gets
  // SIGTERM (SIGKILL after the grace); otherwise they keep serving and only
  // a hand-over in progress is settled (the process endpoint.json names
  // stays, the other one is stopped).
  void Stop(bool stop_processes);
  // Thread-safe.
  std::vector<ServeStatus> Snapshot() const;
  // The argv of the deployment's serve process on `port`.
  std::vector<std::string> WantedArgv(const ServeSpec& spec, int port) const;

 private:
  enum class Phase { kDown, kStarting, kUp, kStopping };
  struct Draining {
    int64_t pid = 0;
    int64_t kill_at_ns = 0;
    bool killed = false;
  };
  struct Managed {
    ServeSpec spec;
    std::string name;
    int port = 0;
    Phase phase = Phase::kDown;
    int64_t pid = 0;
    int64_t phase_since_ns = 0;
    int64_t next_check_ns = 0;
    int64_t next_start_ns = 0;
    int64_t backoff_ns = 0;   // the last restart's delay; 0 = none since the last reset
    int64_t up_since_ns = 0;  // healthy since (0: not healthy)
    int failures = 0;         // failed checks in a row
    int64_t restarts = 0;
    bool healthy = false;
    bool killed = false;         // kStopping: SIGKILL sent
    std::string restart_reason;  // why the next start is a restart ("" = the first start)
    int64_t last_pid = 0;
    // A hand-over: the successor, when it started, why.
    int64_t successor = 0;
    int64_t successor_since_ns = 0;
    std::string replace_reason;  // set: a hand-over is wanted or under way
    std::vector<Draining> draining;
  };

  void Adopt(Managed& m, int64_t now);
  void Step(Managed& m, int64_t now);
  void StepSuccessor(Managed& m, int64_t now);
  void StepDraining(Managed& m, int64_t now);
  void StartProcess(Managed& m, int64_t now);
  void Check(Managed& m, int64_t now);
  void Terminate(Managed& m, int64_t now, const std::string& reason);
  void ScheduleRestart(Managed& m, int64_t now, const std::string& reason);
  // The checked process answers: endpoint.json names it and it is healthy.
  bool Answers(const Managed& m, int64_t pid, ServeEndpoint* endpoint);
  std::string LogPath(const Managed& m) const;
  void Publish(const std::string& kind, const std::string& data);
  void UpdateStatus();

  ServeHost& host_;
  EventBus& bus_;
  Clock& clock_;
  ServeSupervisorOptions options_;
  std::vector<Managed> managed_;
  bool adopted_ = false;
  mutable std::mutex status_mu_;
  std::vector<ServeStatus> status_;
};

}  // namespace mlpipe::server
