// Process exit codes, mapped from Status in exactly one place.
//   0   success
//   1   a step or a check failed (run failed, verify found damage)
//   2   invalid input: spec error, bad usage, unknown run/artifact
//   130 interrupted (SIGINT/SIGTERM)
#pragma once

#include "mlpipe/base/status.h"

namespace mlpipe::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitInvalid = 2;
inline constexpr int kExitInterrupted = 130;

int ExitCodeFor(const Status& status);

}  // namespace mlpipe::cli
