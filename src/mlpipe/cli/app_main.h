// What both executables do once their subcommands are registered: parse,
// run the chosen action, print its error, map it to the exit code.
#pragma once

#include "mlpipe/cli/commands.h"

namespace mlpipe::cli {

int ParseAndRun(CLI::App& app, const Action& action, int argc, char** argv);

}  // namespace mlpipe::cli
