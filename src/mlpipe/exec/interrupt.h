// Interrupts: SIGINT / SIGTERM (or a test) asking the run to stop.
//
// The signal handler only records the signal and writes one byte to a
// non-blocking self-pipe (both async-signal-safe). The pipe's read end stays
// readable until ClearInterrupt(), so a runner can include it in its poll() set
// and every later Wait() sees the interrupt too. Process-wide state; all
// functions are thread-safe.
#pragma once

#include "mlpipe/base/status.h"

namespace mlpipe::exec {

// Installs handlers for SIGINT and SIGTERM. Idempotent. Internal on failure.
Status InstallInterruptHandlers();

// Has the same effect as receiving `signo` (for tests and for code that wants
// to stop a run, e.g. a server shutting down).
void RequestInterrupt(int signo = 2 /* SIGINT */);

// True once an interrupt arrived and until ClearInterrupt().
bool InterruptRequested();

// The signal of the first interrupt since the last clear (0 if none).
int InterruptSignal();

// Read end of the self-pipe: readable while an interrupt is pending. -1 if the
// pipe could not be created.
int InterruptFd();

// Forgets the pending interrupt (drains the pipe). Call before a new run.
void ClearInterrupt();

}  // namespace mlpipe::exec
