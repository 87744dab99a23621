// The flags of `mlpipe serve`, declared once for both executables: the
// model server (mlpipe-serve, which runs them) and mlpipe, whose command
// tree lists them for --help, shell completions and man pages.
#pragma once

#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace mlpipe::cli {

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
};

// Adds the `serve` subcommand to `app`, its options bound to `*flags`
// (which must outlive parsing); returns it.
CLI::App* AddServeFlags(CLI::App& app, ServeFlags* flags);

}  // namespace mlpipe::cli
