// mlpipe-serve: the model server's executable. `mlpipe serve ...` replaces
// itself with it (execv, same pid, same arguments), so that the main mlpipe
// binary does not load the serving code and simdjson (with cpp-httplib and
// OpenSSL's TLS library, which the server used before its own HTTP
// transport, they cost every short command about 4 ms: docs/benchmarks.md).
#include <CLI/CLI.hpp>

#include "mlpipe/cli/app_main.h"

int main(int argc, char** argv) {
  CLI::App app{"mlpipe: machine-learning pipelines that retrain, test and redeploy themselves"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("mlpipe ") + MLPIPE_VERSION);
  mlpipe::cli::Action action;
  mlpipe::cli::AddServeCommand(app, &action);
  mlpipe::cli::AddServerCommand(app, &action);
  return mlpipe::cli::ParseAndRun(app, action, argc, argv);
}
