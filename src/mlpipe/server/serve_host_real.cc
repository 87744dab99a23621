#include "mlpipe/server/serve_host_real.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "mlpipe/exec/spawn.h"
#include "mlpipe/serving/prediction_log.h"

namespace mlpipe::server {

StatusOr<int64_t> RealServeHost::Start(const std::vector<std::string>& argv, const std::string& cwd,
                                       const std::string& log_path) {
  exec::Command command;
  command.argv = argv;
  command.cwd = cwd;
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    return UnavailableError(fmt::format("cannot open the serve log {}: {}", log_path, std::strerror(errno)));
  }
  std::string error;
  const pid_t pid = exec::SpawnProcessGroup(command, log_fd, log_fd, &error);
  close(log_fd);
  if (pid < 0) return UnavailableError(fmt::format("cannot start mlpipe serve: {}", error));
  return static_cast<int64_t>(pid);
}

std::optional<std::string> RealServeHost::Exited(int64_t pid) {
  if (pid <= 0) return "gone";
  int status = 0;
  const pid_t r = waitpid(static_cast<pid_t>(pid), &status, WNOHANG);
  if (r == static_cast<pid_t>(pid)) {
    if (WIFEXITED(status)) return fmt::format("exit {}", WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
      const char* abbrev = sigabbrev_np(WTERMSIG(status));
      return abbrev != nullptr ? fmt::format("killed by SIG{}", abbrev)
                               : fmt::format("killed by signal {}", WTERMSIG(status));
    }
    return "gone";
  }
  if (r == 0) return std::nullopt;  // our child, running
  // Not our child (adopted from an earlier server): alive while kill(0) finds it.
  if (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) return std::nullopt;
  return "gone (not a child of this server: its status is unknown)";
}

void RealServeHost::Signal(int64_t pid, int sig) {
  if (pid <= 0) return;
  // Its process group (it leads one); the process alone if it does not.
  if (kill(-static_cast<pid_t>(pid), sig) != 0) kill(static_cast<pid_t>(pid), sig);
}

std::vector<std::string> RealServeHost::CommandLine(int64_t pid) {
  std::ifstream in(fmt::format("/proc/{}/cmdline", pid), std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;
  size_t start = 0;
  for (size_t nul; (nul = text.find('\0', start)) != std::string::npos; start = nul + 1) {
    argv.push_back(text.substr(start, nul - start));
  }
  if (start < text.size()) argv.push_back(text.substr(start));
  return argv;
}

bool RealServeHost::RunsCurrentExecutable(int64_t pid) {
  // stat follows /proc/PID/exe to the file the process runs, also when that
  // file was replaced or deleted since: (dev, inode) tells an upgrade.
  struct stat theirs {
  }, ours{};
  if (stat(fmt::format("/proc/{}/exe", pid).c_str(), &theirs) != 0) return true;
  if (stat("/proc/self/exe", &ours) != 0) return true;
  return theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

std::optional<ServeEndpoint> RealServeHost::Endpoint(const std::string& name) {
  std::ifstream in(serving::ServingLogDir(ws_root_, name) + "/endpoint.json");
  if (!in) return std::nullopt;
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_object() || !doc.contains("url") || !doc["url"].is_string()) return std::nullopt;
  ServeEndpoint ep;
  ep.pid = doc.value("pid", int64_t{0});
  ep.url = doc["url"].get<std::string>();
  const size_t colon = ep.url.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  ep.port = std::atoi(ep.url.c_str() + colon + 1);
  return ep;
}

bool RealServeHost::Healthy(const std::string& url) {
  httplib::Client client(url);
  client.set_connection_timeout(1);
  client.set_read_timeout(1);
  client.set_write_timeout(1);
  auto res = client.Get("/v2/health/live");
  return res && res->status == 200;
}

}  // namespace mlpipe::server
