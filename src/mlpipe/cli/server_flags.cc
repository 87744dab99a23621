#include "mlpipe/cli/server_flags.h"

#include <CLI/CLI.hpp>

namespace mlpipe::cli {

CLI::App* AddServerFlags(CLI::App& app, ServerFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "server", "Run the control plane: triggers start pipeline runs, an HTTP API and the monitoring record");
  cmd->add_option("--pipelines", flags->pipelines,
                  "Pipeline files to run (glob patterns, repeatable; default *.yaml and pipelines/*.yaml)");
  cmd->add_option("--project", flags->project, "The project folder (default: the current folder)");
  cmd->add_option("--host", flags->host,
                  "Address to bind (default 127.0.0.1; another needs the token on every route)");
  cmd->add_option("--port", flags->port, "Port (default 8700; 0 = any free port, printed on stdout)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--token-file", flags->token_file,
                  "The bearer token's file, created 0600 if missing (default .mlpipe/token)");
  cmd->add_option("--grace", flags->grace,
                  "On SIGTERM, how long running runs may finish before they are cancelled (default 60s)");
  cmd->add_flag("--poll", flags->poll, "Watch on_change paths by polling their stat instead of inotify");
  cmd->add_option("--poll-interval", flags->poll_interval,
                  "How often commits, aliases (and, with --poll, on_change paths) are checked (default 1s)");
  cmd->add_option("--threads", flags->threads, "HTTP worker threads that run request handlers (default 16)")
      ->check(CLI::Range(1, 1024));
  AddTransportFlags(cmd, &flags->transport);
  cmd->add_option("--scrape", flags->scrape,
                  "How often each `mlpipe serve` of the workspace is scraped for its numbers (default 15s)");
  cmd->add_option("--drift-window", flags->drift_window,
                  "The prediction log's window compared with the model's reference statistics (default 5m)");
  cmd->add_option(
      "--serve", flags->serve,
      "Keep `mlpipe serve --deployment DEPLOYMENT` running on PORT (DEPLOYMENT[:PORT], repeatable; "
      "a stored deployment or a YAML file; no PORT: a free one, kept across restarts)");
  cmd->add_flag("--serve-stop-on-exit", flags->serve_stop_on_exit,
                "Stop the --serve processes when the server stops (by default they keep serving)");
  cmd->add_flag("--print-alert-rules", flags->print_alert_rules,
                "Print Prometheus alert rules for the server's metrics and exit");
  return cmd;
}

}  // namespace mlpipe::cli
