#include "mlpipe/cli/app_main.h"

#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "mlpipe/cli/exit_codes.h"

namespace mlpipe::cli {

int ParseAndRun(CLI::App& app, const Action& action, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitInvalid;
  }
  Status result = action ? action() : InvalidArgumentError("no command");
  if (!result.ok() && !result.message().empty()) {
    std::fflush(stdout);
    std::cerr << "mlpipe: error: " << result.message() << "\n";
  }
  return ExitCodeFor(result);
}

}  // namespace mlpipe::cli
