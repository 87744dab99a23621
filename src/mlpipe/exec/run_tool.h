// RunTool: runs a short-lived program to completion and returns what it
// printed: the command-line tools mlpipe drives (Slurm's sbatch, squeue and
// scancel; git for the server's commit triggers).
#pragma once

#include <string>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::exec {

struct ToolResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
  bool ok() const { return exit_code == 0; }
};

// Runs `argv` (argv[0] looked up in PATH) with `input` on its stdin, in this
// process's environment and folder, and waits for it. An error only when the
// program cannot be started ("cannot run 'sbatch': No such file or
// directory"); a program that fails is a ToolResult with its exit code.
StatusOr<ToolResult> RunTool(const std::vector<std::string>& argv, const std::string& input = "");

}  // namespace mlpipe::exec
