// mlpipe serve: the model server (being written).
#include <CLI/CLI.hpp>

#include "mlpipe/cli/commands.h"

namespace mlpipe::cli {

void AddServeCommand(CLI::App& app, Action* action) {}

}  // namespace mlpipe::cli
