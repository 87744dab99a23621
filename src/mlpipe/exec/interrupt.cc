#include "mlpipe/exec/interrupt.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <mutex>

namespace mlpipe::exec {
namespace {

std::atomic<int> g_signal{0};
int g_pipe[2] = {-1, -1};
std::once_flag g_pipe_once;
std::mutex g_install_mu;
bool g_installed = false;

void EnsurePipe() {
  std::call_once(g_pipe_once, [] {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
      g_pipe[0] = fds[0];
      g_pipe[1] = fds[1];
    }
  });
}

// Async-signal-safe: an atomic store and a write(2).
void Notify(int signo) {
  int expected = 0;
  g_signal.compare_exchange_strong(expected, signo);
  if (g_pipe[1] >= 0) {
    int saved = errno;
    char byte = 1;
    [[maybe_unused]] ssize_t n = write(g_pipe[1], &byte, 1);
    errno = saved;
  }
}

void Handler(int signo) { Notify(signo); }

static_assert(std::atomic<int>::is_always_lock_free, "signal handler needs a lock-free atomic");

}  // namespace

Status InstallInterruptHandlers() {
  EnsurePipe();
  if (g_pipe[0] < 0) return ErrnoError("creating the interrupt pipe", errno);
  std::lock_guard<std::mutex> lock(g_install_mu);
  if (g_installed) return OkStatus();
  struct sigaction sa {};
  sa.sa_handler = Handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int signo : {SIGINT, SIGTERM}) {
    if (sigaction(signo, &sa, nullptr) != 0) return ErrnoError("installing the interrupt handler", errno);
  }
  g_installed = true;
  return OkStatus();
}

void RequestInterrupt(int signo) {
  EnsurePipe();
  Notify(signo);
}

bool InterruptRequested() { return g_signal.load() != 0; }

int InterruptSignal() { return g_signal.load(); }

int InterruptFd() {
  EnsurePipe();
  return g_pipe[0];
}

void ClearInterrupt() {
  EnsurePipe();
  g_signal.store(0);
  if (g_pipe[0] < 0) return;
  char buf[64];
  while (read(g_pipe[0], buf, sizeof buf) > 0) {
  }
}

}  // namespace mlpipe::exec
