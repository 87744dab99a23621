// Running a script of an interpreter (Python) as a child of a built-in's
// process, for the built-ins written in that language (notebook).
//
// The child gets the script as `INTERPRETER -c SCRIPT`, a request on its
// stdin, and a pipe on file descriptor 3 for a report back; its stdout and
// stderr are the built-in's (the step's logs). It runs in the built-in's
// process group, so a step's timeout or interrupt (SIGTERM, SIGINT) reaches
// it too; the built-in ignores those while it waits, so that the child can
// wind down (its group is killed once the built-in's process ends).
#pragma once

#include <string>

#include "mlpipe/base/status.h"

namespace mlpipe::ml::components {

struct ScriptResult {
  int exit_code = -1;   // -1 if killed by a signal
  int term_signal = 0;  // the signal that killed it, or 0
  std::string report;   // what it wrote on fd 3
};

// Runs `interpreter` (a path, or a name looked up in PATH) on `script` and
// waits. NotFound ("cannot run 'python3': No such file or directory") if it
// cannot be started; Internal for a failing pipe or write.
StatusOr<ScriptResult> RunScript(const std::string& interpreter, const std::string& script,
                                 const std::string& request);

}  // namespace mlpipe::ml::components
