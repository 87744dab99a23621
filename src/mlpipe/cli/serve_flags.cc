#include "mlpipe/cli/serve_flags.h"

#include <CLI/CLI.hpp>

namespace mlpipe::cli {

CLI::App* AddServeFlags(CLI::App& app, ServeFlags* flags) {
  auto* cmd = app.add_subcommand("serve", "Serve models over HTTP (Open Inference Protocol v2)");
  cmd->add_option("--model", flags->model, "Registered model: NAME, NAME@ALIAS or NAME:vN");
  cmd->add_option("--package", flags->package, "A model package folder");
  cmd->add_option(
      "--deployment", flags->deployment,
      "A deployment YAML file (variants, weights, sticky, shadow; followed as it changes), or the "
      "name of a stored deployment (`mlpipe deployments`), followed revision by revision");
  cmd->add_option(
      "--host", flags->host,
      "Address to bind (default 127.0.0.1; another needs the token on the routes that change state)");
  cmd->add_option("--token-file", flags->token_file,
                  "Beyond loopback: the bearer token's file, created 0600 if missing (default .mlpipe/token, "
                  "the token of `mlpipe server`)");
  cmd->add_option("--port", flags->port, "Port (default 8080; 0 = any free port, printed on stdout)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--poll", flags->poll, "How often aliases and the deployment are re-read (default 2s)");
  cmd->add_option("--threads", flags->threads, "HTTP worker threads that run request handlers (default 16)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--max-body", flags->max_body, "Largest request body (default 1MiB); larger gets 413");
  cmd->add_option("--log-sample", flags->log_sample,
                  "Fraction of requests in the prediction log (default 1.0)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--log-dir", flags->log_dir,
                  "Prediction log folder (default .mlpipe/serving/DEPLOYMENT in the workspace)");
  cmd->add_option("--feedback-window", flags->feedback_window,
                  "Recent requests whose predictions are kept in memory for /v2/feedback (default 100000)")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  cmd->add_option("--grace", flags->grace, "On SIGTERM, wait this long for in-flight requests (default 10s)");
  cmd->add_option("--timeout", flags->timeout,
                  "Write timeout: longest wait for a client to take an answer's bytes (default 5s)");
  AddTransportFlags(cmd, &flags->transport);
  cmd->add_flag("--reuse-port", flags->reuse_port,
                "Bind with SO_REUSEPORT, so a new serve process can take over the port while this one "
                "drains (SIGTERM closes the listener first, then finishes in-flight requests)");
  return cmd;
}

void AddTransportFlags(CLI::App* cmd, TransportFlags* flags) {
  cmd->add_option(
         "--max-connections", flags->max_connections,
         "Open connections at most; beyond, a new connection gets 503 with Retry-After (default 10000)")
      ->check(CLI::Range(1, 10'000'000));
  cmd->add_option("--max-queued", flags->max_queued,
                  "Requests waiting for a worker at most; beyond, 503 with Retry-After: 1 (default 0 = 4 x "
                  "--threads)")
      ->check(CLI::Range(0, 10'000'000));
  cmd->add_option("--request-timeout", flags->request_timeout,
                  "A request must arrive whole (headers and body) this soon after its first byte, else 408 "
                  "(default 10s)");
}

}  // namespace mlpipe::cli
