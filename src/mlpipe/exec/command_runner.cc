#include "mlpipe/exec/command_runner.h"

#include <fmt/format.h>

#include <csignal>
#include <cstring>

#include "mlpipe/base/strings.h"

namespace mlpipe::exec {

std::string SignalName(int signo) {
  const char* abbrev = sigabbrev_np(signo);
  if (abbrev != nullptr) return fmt::format("SIG{}", abbrev);
  return fmt::format("signal {}", signo);
}

std::string CommandResult::Describe() const {
  if (!error.empty()) return error;
  if (cancelled) return "cancelled";
  if (timed_out)
    return timeout_ns > 0 ? fmt::format("timed out after {}", FormatDuration(timeout_ns)) : "timed out";
  if (term_signal != 0) return fmt::format("killed by {}", SignalName(term_signal));
  return fmt::format("exit {}", exit_code);
}

}  // namespace mlpipe::exec
