// The flags of `mlpipe serve`, declared once for both executables: the
// model server (mlpipe-serve, which runs them) and mlpipe, whose command
// tree lists them for --help, shell completions and man pages.
#pragma once

#include <cstdint>
#include <string>

#include "mlpipe/base/status.h"

namespace CLI {
class App;
}

namespace mlpipe::cli {

// The HTTP transport's bounds, shared by `serve` and `server`
// (serving::HttpServerOptions).
struct TransportFlags {
  int max_connections = 10000;          // --max-connections
  int max_queued = 0;                   // --max-queued; 0 = 4 x --threads
  std::string request_timeout = "10s";  // --request-timeout
};

// Adds --max-connections, --max-queued and --request-timeout to `cmd`.
void AddTransportFlags(CLI::App* cmd, TransportFlags* flags);

// --request-timeout in whole seconds (at least 1); InvalidArgument for a bad
// duration. Defined in cmd_serve.cc: only mlpipe-serve runs the servers.
StatusOr<int> RequestTimeoutSeconds(const TransportFlags& flags);

struct ServeFlags {
  std::string model;       // NAME[@ALIAS|:vN]
  std::string package;     // a model package folder
  std::string deployment;  // a deployment YAML file, or the name of a stored deployment
  std::string host = "127.0.0.1";
  std::string token_file;  // "" = <workspace>/token, read only when host is not loopback
  int port = 8080;
  std::string poll = "2s";
  int threads = 16;
  std::string max_body = "1MiB";
  double log_sample = 1.0;
  std::string log_dir;
  int64_t feedback_window = 100000;
  std::string grace = "10s";
  std::string timeout = "5s";
  bool reuse_port = false;  // SO_REUSEPORT: another serve process may bind the same port (hand-over)
  TransportFlags transport;
};

// Adds the `serve` subcommand to `app`, its options bound to `*flags`
// (which must outlive parsing); returns it.
CLI::App* AddServeFlags(CLI::App& app, ServeFlags* flags);

}  // namespace mlpipe::cli
