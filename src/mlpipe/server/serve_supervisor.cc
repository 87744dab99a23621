#include "mlpipe/server/serve_supervisor.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "mlpipe/serving/deployment.h"

namespace mlpipe::server {
namespace {

using json = nlohmann::json;

const char* PhaseName(int phase) {
  static constexpr const char* kNames[] = {"down", "starting", "up", "stopping"};
  return kNames[phase];
}

// As `mlpipe serve --deployment` tells a file from a stored name.
bool LooksLikeDeploymentFile(const std::string& arg, const std::string& project_dir) {
  std::error_code ec;
  const std::filesystem::path path = std::filesystem::path(project_dir) / arg;
  if (std::filesystem::is_regular_file(path, ec)) return true;
  const std::string ext = std::filesystem::path(arg).extension().string();
  return ext == ".yaml" || ext == ".yml" || arg.find('/') != std::string::npos;
}

}  // namespace

StatusOr<ServeSpec> ParseServeSpec(std::string_view text) {
  ServeSpec spec;
  const size_t colon = text.rfind(':');
  std::string_view name = text;
  if (colon != std::string_view::npos) {
    const std::string_view port = text.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) > 65535) {
      return InvalidArgumentError(fmt::format(
          "--serve '{}': the port after ':' must be a number from 0 to 65535 (DEPLOYMENT[:PORT])", text));
    }
    spec.port = std::stoi(std::string(port));
    name = text.substr(0, colon);
  }
  if (name.empty()) {
    return InvalidArgumentError(fmt::format(
        "--serve '{}': no deployment (DEPLOYMENT[:PORT], a stored deployment or a YAML file)", text));
  }
  spec.deployment = std::string(name);
  return spec;
}

StatusOr<std::string> ServedDeploymentName(const std::string& deployment, const std::string& project_dir) {
  if (!LooksLikeDeploymentFile(deployment, project_dir)) return deployment;
  const std::filesystem::path path = std::filesystem::path(deployment).is_absolute()
                                         ? std::filesystem::path(deployment)
                                         : std::filesystem::path(project_dir) / deployment;
  auto config = serving::DeploymentConfig::FromFile(path.string());
  if (!config.ok()) return config.status().WithContext("--serve " + deployment);
  return config->name;
}

ServeSupervisor::ServeSupervisor(std::vector<ServeSpec> specs, std::vector<std::string> names,
                                 ServeHost& host, EventBus& bus, Clock& clock, ServeSupervisorOptions options)
    : host_(host), bus_(bus), clock_(clock), options_(std::move(options)) {
  for (size_t i = 0; i < specs.size(); ++i) {
    Managed m;
    m.spec = specs[i];
    m.name = i < names.size() ? names[i] : specs[i].deployment;
    m.port = m.spec.port;
    managed_.push_back(std::move(m));
  }
  UpdateStatus();
}

std::vector<std::string> ServeSupervisor::WantedArgv(const ServeSpec& spec, int port) const {
  return {options_.mlpipe_exe,  "serve",        "--deployment", spec.deployment, "--port",
          std::to_string(port), "--reuse-port", "--poll",       options_.poll};
}

std::string ServeSupervisor::LogPath(const Managed& m) const {
  std::string name = m.name;
  std::replace(name.begin(), name.end(), '/', '_');
  return options_.log_dir + "/serve-" + name + ".log";
}

void ServeSupervisor::Publish(const std::string& kind, const std::string& data) {
  bus_.Publish({.kind = kind, .data = data});
}

bool ServeSupervisor::Answers(const Managed& m, int64_t pid, ServeEndpoint* endpoint) {
  std::optional<ServeEndpoint> ep = host_.Endpoint(m.name);
  if (!ep || ep->pid != pid) return false;
  if (endpoint != nullptr) *endpoint = *ep;
  return host_.Healthy(ep->url);
}

void ServeSupervisor::Adopt(Managed& m, int64_t now) {
  m.next_start_ns = now;
  std::optional<ServeEndpoint> ep = host_.Endpoint(m.name);
  if (!ep) return;
  // Restarts keep the port the deployment had, also when its process is gone.
  if (m.spec.port == 0) m.port = ep->port;
  if (ep->pid <= 0 || host_.Exited(ep->pid)) return;
  std::vector<std::string> argv = host_.CommandLine(ep->pid);
  if (argv.size() < 2 || argv[1] != "serve") return;  // the pid is another program's now
  m.pid = ep->pid;
  m.phase = Phase::kUp;
  m.phase_since_ns = now;
  m.next_check_ns = now;
  m.port = ep->port;
  m.up_since_ns = 0;
  // The wanted command line on the port it serves (the wanted port when one is given).
  const std::vector<std::string> wanted = WantedArgv(m.spec, m.spec.port != 0 ? m.spec.port : ep->port);
  std::string reason;
  if (!std::equal(argv.begin() + 1, argv.end(), wanted.begin() + 1, wanted.end())) {
    reason = fmt::format("its command line differs from the wanted one ({})",
                         fmt::join(wanted.begin() + 1, wanted.end(), " "));
  } else if (!host_.RunsCurrentExecutable(ep->pid)) {
    reason = "it runs another executable than this server's (upgraded)";
  }
  m.replace_reason = reason;
  Publish("serve.adopted", json{{"deployment", m.name},
                                {"pid", m.pid},
                                {"port", m.port},
                                {"replace", reason.empty() ? json() : json(reason)}}
                               .dump());
}

void ServeSupervisor::StartProcess(Managed& m, int64_t now) {
  auto pid = host_.Start(WantedArgv(m.spec, m.port), options_.project_dir, LogPath(m));
  if (!pid.ok()) {
    Publish("serve.exited",
            json{{"deployment", m.name}, {"pid", nullptr}, {"status", pid.status().message()}}.dump());
    ScheduleRestart(m, now, pid.status().message());
    return;
  }
  m.pid = *pid;
  m.phase = Phase::kStarting;
  m.phase_since_ns = now;
  m.next_check_ns = now + options_.check_interval_ns;
  m.failures = 0;
  m.healthy = false;
  m.up_since_ns = 0;
  m.killed = false;
  Publish("serve.started",
          json{{"deployment", m.name}, {"pid", m.pid}, {"port", m.port}, {"log", LogPath(m)}}.dump());
  if (!m.restart_reason.empty()) {
    ++m.restarts;
    Publish("serve.restarted", json{{"deployment", m.name},
                                    {"pid", m.pid},
                                    {"previous_pid", m.last_pid},
                                    {"reason", m.restart_reason},
                                    {"backoff_s", static_cast<double>(m.backoff_ns) / 1e9},
                                    {"restarts", m.restarts}}
                                   .dump());
  }
  m.restart_reason = "restart";  // every later start is a restart
}

void ServeSupervisor::Terminate(Managed& m, int64_t now, const std::string& reason) {
  host_.Signal(m.pid, SIGTERM);
  m.phase = Phase::kStopping;
  m.phase_since_ns = now;
  m.killed = false;
  m.restart_reason = reason;
}

void ServeSupervisor::ScheduleRestart(Managed& m, int64_t now, const std::string& reason) {
  // 1 s, 2 s, 4 s, ... capped; after a long healthy stretch backoff_ns is 0 again.
  m.backoff_ns =
      m.backoff_ns == 0 ? options_.backoff_initial_ns : std::min(2 * m.backoff_ns, options_.backoff_max_ns);
  m.last_pid = m.pid;
  m.pid = 0;
  m.phase = Phase::kDown;
  m.phase_since_ns = now;
  m.next_start_ns = now + m.backoff_ns;
  m.healthy = false;
  m.up_since_ns = 0;
  m.restart_reason = reason;
}

void ServeSupervisor::Check(Managed& m, int64_t now) {
  m.next_check_ns = now + options_.check_interval_ns;
  ServeEndpoint ep;
  const bool ok = Answers(m, m.pid, &ep);
  if (m.phase == Phase::kStarting) {
    if (ok) {
      m.phase = Phase::kUp;
      m.phase_since_ns = now;
      m.healthy = true;
      m.up_since_ns = now;
      m.port = ep.port;
    } else if (now - m.phase_since_ns >= options_.start_timeout_ns) {
      const std::string reason = fmt::format("it did not answer its health check within {} s of its start",
                                             options_.start_timeout_ns / 1'000'000'000);
      Publish("serve.unhealthy",
              json{{"deployment", m.name}, {"pid", m.pid}, {"failures", 1}, {"reason", reason}}.dump());
      Terminate(m, now, reason);
    }
    return;
  }
  if (ok) {
    m.failures = 0;
    m.healthy = true;
    if (m.up_since_ns == 0) m.up_since_ns = now;
    if (m.port == 0 || m.spec.port == 0) m.port = ep.port;
    if (now - m.up_since_ns >= options_.healthy_reset_ns) m.backoff_ns = 0;
    return;
  }
  ++m.failures;
  m.healthy = false;
  m.up_since_ns = 0;
  const std::string reason = fmt::format("failed health check {} of {} (GET /v2/health/live)", m.failures,
                                         options_.failures_to_restart);
  Publish("serve.unhealthy",
          json{{"deployment", m.name}, {"pid", m.pid}, {"failures", m.failures}, {"reason", reason}}.dump());
  if (m.failures >= options_.failures_to_restart) {
    Terminate(m, now, fmt::format("{} failed health checks in a row", m.failures));
  }
}

void ServeSupervisor::StepDraining(Managed& m, int64_t now) {
  for (auto it = m.draining.begin(); it != m.draining.end();) {
    if (auto status = host_.Exited(it->pid)) {
      Publish("serve.exited",
              json{{"deployment", m.name}, {"pid", it->pid}, {"status", *status}, {"replaced", true}}.dump());
      it = m.draining.erase(it);
      continue;
    }
    if (!it->killed && now >= it->kill_at_ns) {
      host_.Signal(it->pid, SIGKILL);
      it->killed = true;
    }
    ++it;
  }
}

void ServeSupervisor::StepSuccessor(Managed& m, int64_t now) {
  if (m.successor == 0) {
    if (m.replace_reason.empty() || m.phase != Phase::kUp) return;
    // The successor binds the same port beside the old process (SO_REUSEPORT).
    auto pid = host_.Start(WantedArgv(m.spec, m.port), options_.project_dir, LogPath(m));
    if (!pid.ok()) {
      Publish("serve.exited",
              json{{"deployment", m.name}, {"pid", nullptr}, {"status", pid.status().message()}}.dump());
      m.replace_reason.clear();
      return;
    }
    m.successor = *pid;
    m.successor_since_ns = now;
    Publish("serve.started", json{{"deployment", m.name},
                                  {"pid", m.successor},
                                  {"port", m.port},
                                  {"log", LogPath(m)},
                                  {"replacing", m.pid}}
                                 .dump());
    return;
  }
  if (auto status = host_.Exited(m.successor)) {
    Publish("serve.exited",
            json{{"deployment", m.name},
                 {"pid", m.successor},
                 {"status", *status},
                 {"reason", "the replacement exited before it answered; the old one serves on"}}
                .dump());
    m.successor = 0;
    m.replace_reason.clear();
    return;
  }
  if (Answers(m, m.successor, nullptr)) {
    // The successor serves: the old process closes its listener and drains.
    host_.Signal(m.pid, SIGTERM);
    m.draining.push_back({m.pid, now + options_.term_grace_ns, false});
    ++m.restarts;
    Publish("serve.restarted", json{{"deployment", m.name},
                                    {"pid", m.successor},
                                    {"previous_pid", m.pid},
                                    {"reason", m.replace_reason},
                                    {"handover", true},
                                    {"restarts", m.restarts}}
                                   .dump());
    m.pid = m.successor;
    m.successor = 0;
    m.replace_reason.clear();
    m.phase = Phase::kUp;
    m.phase_since_ns = now;
    m.next_check_ns = now + options_.check_interval_ns;
    m.failures = 0;
    m.healthy = true;
    m.up_since_ns = now;
    return;
  }
  if (now - m.successor_since_ns >= options_.start_timeout_ns) {
    host_.Signal(m.successor, SIGKILL);
    Publish("serve.unhealthy",
            json{{"deployment", m.name},
                 {"pid", m.successor},
                 {"failures", 1},
                 {"reason", "the replacement did not answer in time; the old one serves on"}}
                .dump());
    m.successor_since_ns = std::numeric_limits<int64_t>::max() / 2;  // reaped by Exited above
  }
}

void ServeSupervisor::Step(Managed& m, int64_t now) {
  StepDraining(m, now);
  if (m.phase == Phase::kDown) {
    if (now >= m.next_start_ns) StartProcess(m, now);
    return;
  }
  if (auto status = host_.Exited(m.pid)) {
    Publish("serve.exited", json{{"deployment", m.name}, {"pid", m.pid}, {"status", *status}}.dump());
    const std::string reason = m.phase == Phase::kStopping ? m.restart_reason : "exited: " + *status;
    if (m.successor != 0) {
      // The replacement under way takes over as a restart.
      host_.Signal(m.successor, SIGKILL);
      while (!host_.Exited(m.successor)) clock_.SleepFor(10'000'000);
      m.successor = 0;
      m.replace_reason.clear();
    }
    ScheduleRestart(m, now, reason);
    return;
  }
  if (m.phase == Phase::kStopping) {
    if (!m.killed && now - m.phase_since_ns >= options_.term_grace_ns) {
      host_.Signal(m.pid, SIGKILL);
      m.killed = true;
    }
    return;
  }
  // A successor first: once it names itself in endpoint.json the old
  // process is no longer the one to check.
  if (m.phase == Phase::kUp) StepSuccessor(m, now);
  if (now >= m.next_check_ns && m.successor == 0) Check(m, now);
}

void ServeSupervisor::Tick() {
  const int64_t now = clock_.WallNanos();
  if (!adopted_) {
    adopted_ = true;
    for (Managed& m : managed_) Adopt(m, now);
  }
  for (Managed& m : managed_) Step(m, now);
  UpdateStatus();
}

int64_t ServeSupervisor::NextDueNs() const {
  int64_t due = std::numeric_limits<int64_t>::max();
  const int64_t soon = clock_.WallNanos() + options_.check_interval_ns / 4;
  for (const Managed& m : managed_) {
    if (m.phase == Phase::kDown) {
      due = std::min(due, m.next_start_ns);
    } else {
      due = std::min(due, m.next_check_ns);
    }
    // Exits, hand-overs and kills are watched more closely than checks.
    if (m.phase == Phase::kStopping || m.successor != 0 || !m.draining.empty()) due = std::min(due, soon);
  }
  return due;
}

StatusOr<int64_t> ServeSupervisor::Restart(const std::string& name, const std::string& reason) {
  for (Managed& m : managed_) {
    if (m.name != name && m.spec.deployment != name) continue;
    if (m.phase != Phase::kUp) {
      return FailedPreconditionError(fmt::format(
          "the serve process of '{}' is {}: it is restarted on its own", m.name, PhaseName(int(m.phase))));
    }
    if (!m.replace_reason.empty()) {
      return FailedPreconditionError(
          fmt::format("the serve process of '{}' is being replaced already ({})", m.name, m.replace_reason));
    }
    m.replace_reason = reason;
    return m.pid;
  }
  return NotFoundError(fmt::format("deployment '{}' is not served by this server (see --serve)", name));
}

void ServeSupervisor::Stop(bool stop_processes) {
  const int64_t now = clock_.WallNanos();
  std::vector<int64_t> pids;
  for (Managed& m : managed_) {
    if (m.successor != 0) {
      // Settle a hand-over: the process endpoint.json names keeps serving.
      std::optional<ServeEndpoint> ep = host_.Endpoint(m.name);
      if (ep && ep->pid == m.successor) {
        host_.Signal(m.pid, SIGTERM);
        m.pid = m.successor;
      } else {
        host_.Signal(m.successor, SIGTERM);
      }
      m.successor = 0;
    }
    if (stop_processes && m.pid != 0) pids.push_back(m.pid);
    for (const Draining& d : m.draining) pids.push_back(d.pid);
  }
  if (!stop_processes) return;
  for (int64_t pid : pids) host_.Signal(pid, SIGTERM);
  const int64_t kill_at = now + options_.term_grace_ns;
  for (int64_t pid : pids) {
    while (!host_.Exited(pid)) {
      if (clock_.WallNanos() >= kill_at) {
        host_.Signal(pid, SIGKILL);
        while (!host_.Exited(pid)) clock_.SleepFor(10'000'000);
        break;
      }
      clock_.SleepFor(20'000'000);
    }
    Publish("serve.exited", json{{"pid", pid}, {"status", "stopped with the server"}}.dump());
  }
  for (Managed& m : managed_) m.phase = Phase::kDown;
  UpdateStatus();
}

void ServeSupervisor::UpdateStatus() {
  std::vector<ServeStatus> status;
  for (const Managed& m : managed_) {
    status.push_back({.deployment = m.name,
                      .spec = m.spec.deployment,
                      .state = PhaseName(static_cast<int>(m.phase)),
                      .pid = m.pid,
                      .port = m.port,
                      .restarts = m.restarts,
                      .up = m.healthy && m.phase == Phase::kUp,
                      .replacing = !m.replace_reason.empty()});
  }
  std::lock_guard lock(status_mu_);
  status_ = std::move(status);
}

std::vector<ServeStatus> ServeSupervisor::Snapshot() const {
  std::lock_guard lock(status_mu_);
  return status_;
}

}  // namespace mlpipe::server
