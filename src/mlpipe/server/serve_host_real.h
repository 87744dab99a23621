// RealServeHost: ServeSupervisor's side effects on this machine: processes
// started with exec::SpawnProcessGroup, /proc for command lines and
// executables, endpoint.json under the workspace's serving folder, and the
// health probe over HTTP on loopback (1 s to connect, 1 s to answer).
#pragma once

#include <string>

#include "mlpipe/server/serve_supervisor.h"

namespace mlpipe::server {

class RealServeHost : public ServeHost {
 public:
  explicit RealServeHost(std::string workspace_root) : ws_root_(std::move(workspace_root)) {}
  StatusOr<int64_t> Start(const std::vector<std::string>& argv, const std::string& cwd,
                          const std::string& log_path) override;
  std::optional<std::string> Exited(int64_t pid) override;
  void Signal(int64_t pid, int sig) override;
  std::vector<std::string> CommandLine(int64_t pid) override;
  bool RunsCurrentExecutable(int64_t pid) override;
  std::optional<ServeEndpoint> Endpoint(const std::string& name) override;
  bool Healthy(const std::string& url) override;

 private:
  const std::string ws_root_;
};

}  // namespace mlpipe::server
