// The flags of `mlpipe server`, declared once for both executables (as
// serve_flags.h): mlpipe-serve runs the command, mlpipe lists it for --help,
// shell completions and man pages.
#pragma once

#include <string>
#include <vector>

#include "mlpipe/cli/serve_flags.h"

namespace CLI {
class App;
}

namespace mlpipe::cli {

struct ServerFlags {
  std::vector<std::string> pipelines;  // glob patterns; empty = *.yaml and pipelines/*.yaml
  std::string project;                 // "" = the current folder
  std::string host = "127.0.0.1";
  int port = 8700;
  std::string token_file;
  std::string grace = "60s";
  bool poll = false;
  std::string poll_interval = "1s";
  int threads = 16;
  bool print_alert_rules = false;
  std::string scrape = "15s";
  std::string drift_window = "5m";
  std::vector<std::string> serve;  // DEPLOYMENT[:PORT], repeatable
  bool serve_stop_on_exit = false;
  TransportFlags transport;
};

CLI::App* AddServerFlags(CLI::App& app, ServerFlags* flags);

}  // namespace mlpipe::cli
