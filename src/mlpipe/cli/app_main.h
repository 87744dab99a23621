// What both executables do once their subcommands are registered: parse,
// run the chosen action, print its error, map it to the exit code.
#pragma once

#include "mlpipe/cli/commands.h"

namespace mlpipe::cli {

int ParseAndRun(CLI::App& app, const Action& action, int argc, char** argv);

// The path of the executable `name` in the folder of the running one
// (/proc/self/exe), "" if that cannot be read.
std::string SiblingExecutable(const std::string& name);

}  // namespace mlpipe::cli
