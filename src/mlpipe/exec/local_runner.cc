#include "mlpipe/exec/local_runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "mlpipe/exec/command_runner.h"
#include "mlpipe/exec/interrupt.h"
#include "mlpipe/exec/spawn.h"

namespace mlpipe::exec {
namespace {

// ---- SIGCHLD self-pipe: the fallback when pidfds are unavailable. ----
int g_sigchld_pipe[2] = {-1, -1};
std::once_flag g_sigchld_once;

void OnSigchld(int) {
  int saved = errno;
  char byte = 1;
  [[maybe_unused]] ssize_t n = write(g_sigchld_pipe[1], &byte, 1);
  errno = saved;
}

// Installs the process-wide SIGCHLD handler once; returns the pipe's read end or -1.
int SigchldFd() {
  std::call_once(g_sigchld_once, [] {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return;
    g_sigchld_pipe[0] = fds[0];
    g_sigchld_pipe[1] = fds[1];
    struct sigaction sa {};
    sa.sa_handler = OnSigchld;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, nullptr);
  });
  return g_sigchld_pipe[0];
}

void DrainSigchld() {
  char buf[64];
  while (g_sigchld_pipe[0] >= 0 && read(g_sigchld_pipe[0], buf, sizeof buf) > 0) {
  }
}

int PidfdOpen(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
#else
  errno = ENOSYS;
  return -1;
#endif
}

// True if `pid` has exited (a zombie we have not reaped yet). Does not reap.
bool HasExited(pid_t pid) {
  siginfo_t info{};
  if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return errno == ECHILD;
  return info.si_pid == pid;
}

int64_t TimevalNanos(const timeval& tv) {
  return static_cast<int64_t>(tv.tv_sec) * 1'000'000'000 + tv.tv_usec * 1000;
}

}  // namespace

LocalRunner::LocalRunner(LocalRunnerOptions options)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : &RealClock()),
      wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

LocalRunner::~LocalRunner() {
  if (!procs_.empty()) AbortAll();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void LocalRunner::Wake() {
  if (wake_fd_ < 0) return;  // no eventfd: Wait returns at its deadline instead
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;  // EAGAIN means the counter is already set: a wake is pending
}

std::vector<pid_t> LocalRunner::pids() const {
  std::vector<pid_t> out;
  for (const Proc& p : procs_) out.push_back(p.pid);
  return out;
}

Status LocalRunner::Start(int job, const Command& command) {
  if (command.argv.empty()) return InvalidArgumentError(fmt::format("job {}: empty command", job));
  for (const Proc& p : procs_) {
    if (p.job == job) return InvalidArgumentError(fmt::format("job {} is already running", job));
  }
  // The SIGCHLD fallback must be in place before the child can exit.
  if (!options_.use_pidfd) SigchldFd();
  Proc proc;
  proc.job = job;
  proc.start_ns = clock_->MonotonicNanos();
  proc.timeout_ns = command.timeout_ns;
  // One capture per log file: stdout and stderr into the same file share one.
  int out_fd = -1, err_fd = -1;
  if (!command.stdout_path.empty()) {
    ASSIGN_OR_RETURN(LogCapture out, LogCapture::Open(command.stdout_path));
    proc.logs.push_back(std::move(out));
    out_fd = proc.logs.back().write_fd();
  }
  if (!command.stderr_path.empty() && command.stderr_path == command.stdout_path) {
    err_fd = out_fd;
  } else if (!command.stderr_path.empty()) {
    ASSIGN_OR_RETURN(LogCapture err, LogCapture::Open(command.stderr_path));
    proc.logs.push_back(std::move(err));
    err_fd = proc.logs.back().write_fd();
  }
  std::string error;
  if (!(EnsureSpawner() && StartSpawned(proc, command, out_fd, err_fd, &error))) {
    SpawnOptions spawn;
    spawn.die_with_parent = options_.die_with_runner;
    proc.pid = SpawnProcessGroup(command, out_fd, err_fd, &error, /*stdin_fd=*/-1, spawn);
  }
  for (LogCapture& log : proc.logs) log.CloseWriteEnd();
  if (proc.pid < 0) {
    CommandResult result;
    result.exit_code = 127;  // what a shell reports for a program it cannot run
    result.error = error;
    done_.emplace_back(job, std::move(result));
    return OkStatus();
  }
  if (options_.on_started) options_.on_started(proc.pid);
  if (options_.use_pidfd && !proc.spawned) {
    proc.pidfd = PidfdOpen(proc.pid);
    if (proc.pidfd < 0) SigchldFd();  // HasExited polling in Wait covers a child that already exited
  }
  procs_.push_back(std::move(proc));
  return OkStatus();
}

bool LocalRunner::EnsureSpawner() {
  if (spawner_ != nullptr) return spawner_->dead().empty();
  if (!options_.use_spawner || spawner_tried_) return false;
  spawner_tried_ = true;
  StatusOr<std::unique_ptr<SpawnerClient>> client =
      options_.spawner_path.empty() ? SpawnerClient::LaunchFound() : SpawnerClient::Launch(options_.spawner_path);
  if (!client.ok()) {
    spawner_status_ = client.status();
    if (getenv("MLPIPE_DEBUG") != nullptr) {
      fmt::print(stderr, "mlpipe: steps forked by mlpipe itself: {}\n", spawner_status_.message());
    }
    return false;
  }
  spawner_ = std::move(*client);
  return true;
}

bool LocalRunner::StartSpawned(Proc& proc, const Command& command, int out_fd, int err_fd, std::string* error) {
  const std::string resolved = ResolveForSpawn(command, error);
  if (resolved.empty()) return true;  // reported as SpawnProcessGroup would
  StatusOr<SpawnerClient::Started> started = spawner_->Start(
      resolved, command, /*stdin_fd=*/-1, out_fd, err_fd, options_.die_with_runner, options_.kill_group_on_exit);
  if (!started.ok()) {
    // Too large for its socket, or it died (its commands end in CollectSpawned).
    if (!spawner_->dead().empty()) spawner_status_ = started.status();
    return false;
  }
  if (started->pid < 0) {
    *error = fmt::format("cannot run '{}': {}", command.argv.at(0), strerror(started->error_number));
    return true;
  }
  proc.pid = started->pid;
  proc.spawned = true;
  return true;
}

void LocalRunner::Finish(Proc& proc) {
  // The leader is a zombie, so its pid still names our group: kill leftovers
  // first, then reap.
  if (options_.kill_group_on_exit || proc.timed_out || proc.cancelled) killpg(proc.pid, SIGKILL);
  int status = 0;
  rusage usage{};
  const pid_t r = TEMP_FAILURE_RETRY(wait4(proc.pid, &status, 0, &usage));
  const int wait_errno = errno;
  if (proc.pidfd >= 0) close(proc.pidfd);
  if (r < 0) {
    Report(proc, SpawnedExit{}, fmt::format("waiting for process {}: {}", proc.pid, strerror(wait_errno)));
    return;
  }
  Report(proc,
         SpawnedExit{r, status, TimevalNanos(usage.ru_utime) + TimevalNanos(usage.ru_stime),
                     static_cast<int64_t>(usage.ru_maxrss) * 1024},
         "");
}

void LocalRunner::FinishSpawned(Proc& proc, const SpawnedExit& exit) {
  // The spawner killed the group before reaping when kill_group_on_exit is
  // set; otherwise a timed-out or cancelled command's group is killed here
  // (its pid is not reused while the group has members).
  if (!options_.kill_group_on_exit && (proc.timed_out || proc.cancelled)) killpg(proc.pid, SIGKILL);
  Report(proc, exit,
         exit.pid < 0 ? fmt::format("{}; the command's process group {} was killed", spawner_->dead(), proc.pid)
                      : "");
}

void LocalRunner::Report(Proc& proc, const SpawnedExit& exit, std::string error) {
  // The leader is gone and what it wrote is in the pipes: copy the rest.
  std::string log_error;
  for (LogCapture& log : proc.logs) {
    log.Finish();
    if (log_error.empty()) log_error = log.error();
  }
  CommandResult result;
  result.timed_out = proc.timed_out;
  result.cancelled = proc.cancelled;
  result.timeout_ns = proc.timeout_ns;
  result.wall_ns = clock_->MonotonicNanos() - proc.start_ns;
  result.error = std::move(error);
  if (result.error.empty()) {
    if (WIFEXITED(exit.status)) result.exit_code = WEXITSTATUS(exit.status);
    if (WIFSIGNALED(exit.status)) result.term_signal = WTERMSIG(exit.status);
    result.cpu_ns = exit.cpu_ns;
    result.max_rss_bytes = exit.max_rss_bytes;
  }
  if (result.error.empty() && !log_error.empty()) result.error = log_error;
  done_.emplace_back(proc.job, std::move(result));
}

int LocalRunner::CollectSpawned(bool block) {
  if (spawner_ == nullptr) return 0;
  if (std::none_of(procs_.begin(), procs_.end(), [](const Proc& p) { return p.spawned; })) return 0;
  int n = 0;
  for (const SpawnedExit& exit : spawner_->ReadExits(block)) {
    auto it = std::find_if(procs_.begin(), procs_.end(),
                           [&exit](const Proc& p) { return p.spawned && p.pid == exit.pid; });
    if (it == procs_.end()) continue;
    Proc proc = std::move(*it);
    procs_.erase(it);
    FinishSpawned(proc, exit);
    ++n;
  }
  if (!spawner_->dead().empty()) {
    // Its commands died with it (or, without die_with_runner, are ended
    // here): none can be waited for now, so none may be left running.
    spawner_status_ = UnavailableError(spawner_->dead());
    for (size_t i = 0; i < procs_.size();) {
      if (!procs_[i].spawned) {
        ++i;
        continue;
      }
      Proc proc = std::move(procs_[i]);
      procs_.erase(procs_.begin() + static_cast<ptrdiff_t>(i));
      killpg(proc.pid, SIGKILL);
      FinishSpawned(proc, SpawnedExit{});
      ++n;
    }
  }
  return n;
}

int LocalRunner::CollectExited() {
  int n = CollectSpawned(/*block=*/false);
  for (size_t i = 0; i < procs_.size();) {
    if (!procs_[i].spawned && HasExited(procs_[i].pid)) {
      Proc proc = std::move(procs_[i]);
      procs_.erase(procs_.begin() + static_cast<ptrdiff_t>(i));
      Finish(proc);
      ++n;
    } else {
      ++i;
    }
  }
  return n;
}

int64_t LocalRunner::HandleTimeouts(int64_t now_ns) {
  int64_t next = kNoDeadline;
  for (Proc& p : procs_) {
    if (p.timeout_ns > 0 && !p.timed_out && !p.cancelled) {
      int64_t due = p.start_ns + p.timeout_ns;
      if (now_ns >= due) {
        killpg(p.pid, SIGTERM);
        p.timed_out = true;
        p.kill_at_ns = now_ns + options_.kill_grace_ns;
      } else {
        next = std::min(next, due);
      }
    }
    if (p.kill_at_ns > 0 && !p.killed) {
      if (now_ns >= p.kill_at_ns) {
        killpg(p.pid, SIGKILL);
        p.killed = true;
      } else {
        next = std::min(next, p.kill_at_ns);
      }
    }
  }
  return next;
}

bool LocalRunner::PollUntil(int64_t wake_ns, bool with_interrupt) {
  std::vector<pollfd> fds;
  bool need_sigchld = false;
  bool any_spawned = false;
  for (const Proc& p : procs_) {
    any_spawned = any_spawned || p.spawned;
    if (p.pidfd >= 0) {
      fds.push_back({p.pidfd, POLLIN, 0});
    } else if (!p.spawned) {
      need_sigchld = true;
    }
  }
  if (need_sigchld && SigchldFd() >= 0) fds.push_back({SigchldFd(), POLLIN, 0});
  if (any_spawned && spawner_->fd() >= 0) fds.push_back({spawner_->fd(), POLLIN, 0});
  const size_t logs_begin = fds.size();
  std::vector<LogCapture*> logs;
  for (Proc& p : procs_) {
    for (LogCapture& log : p.logs) {
      if (log.read_fd() < 0) continue;  // at end-of-file already
      fds.push_back({log.read_fd(), POLLIN, 0});
      logs.push_back(&log);
    }
  }
  if (with_interrupt && InterruptFd() >= 0) fds.push_back({InterruptFd(), POLLIN, 0});
  const size_t wake_index = fds.size();
  if (wake_fd_ >= 0) fds.push_back({wake_fd_, POLLIN, 0});
  int timeout_ms = -1;
  if (wake_ns != kNoDeadline) {
    int64_t wait_ns = std::max<int64_t>(0, wake_ns - clock_->MonotonicNanos());
    // Round up so we never wake just before the deadline and spin.
    timeout_ms = static_cast<int>(std::min<int64_t>((wait_ns + 999'999) / 1'000'000, INT_MAX));
  }
  int rc = poll(fds.data(), fds.size(), timeout_ms);
  if (rc > 0 && need_sigchld) DrainSigchld();
  for (size_t i = 0; rc > 0 && i < logs.size(); ++i) {
    if (fds[logs_begin + i].revents != 0) logs[i]->Drain();
  }
  if (rc > 0 && wake_fd_ >= 0 && (fds[wake_index].revents & POLLIN)) {
    uint64_t count = 0;
    ssize_t n = read(wake_fd_, &count, sizeof(count));
    return n == static_cast<ssize_t>(sizeof(count));
  }
  return false;
}

StatusOr<std::optional<std::pair<int, CommandResult>>> LocalRunner::Wait(int64_t deadline_mono_ns) {
  for (;;) {
    if (!done_.empty()) {
      std::pair<int, CommandResult> front = std::move(done_.front());
      done_.pop_front();
      return std::optional<std::pair<int, CommandResult>>(std::move(front));
    }
    if (options_.watch_interrupts && InterruptRequested()) {
      return CancelledError(fmt::format("interrupted by {}", SignalName(InterruptSignal())));
    }
    int64_t now = clock_->MonotonicNanos();
    int64_t wake = std::min(deadline_mono_ns, HandleTimeouts(now));
    if (CollectExited() > 0) continue;
    if (procs_.empty() && deadline_mono_ns == kNoDeadline) {
      return FailedPreconditionError("Wait with nothing running and no deadline");
    }
    if (now >= deadline_mono_ns) return std::optional<std::pair<int, CommandResult>>();
    if (PollUntil(wake, options_.watch_interrupts)) {
      if (CollectExited() > 0) continue;                      // results first
      return std::optional<std::pair<int, CommandResult>>();  // woken by Wake()
    }
  }
}

void LocalRunner::AbortAll() {
  CollectExited();  // those that already finished keep their real result
  std::vector<pid_t> groups;
  for (Proc& p : procs_) {
    killpg(p.pid, SIGTERM);
    p.cancelled = true;
    groups.push_back(p.pid);
  }
  int64_t kill_at = clock_->MonotonicNanos() + options_.abort_grace_ns;
  while (!procs_.empty()) {
    CollectExited();
    if (procs_.empty()) break;
    if (clock_->MonotonicNanos() >= kill_at) {
      for (Proc& p : procs_) killpg(p.pid, SIGKILL);
      // Blocking reaps (SIGKILL cannot be ignored): the spawner's reports, then ours.
      while (std::any_of(procs_.begin(), procs_.end(), [](const Proc& p) { return p.spawned; })) {
        CollectSpawned(/*block=*/true);
      }
      for (Proc& p : procs_) Finish(p);
      procs_.clear();
      break;
    }
    PollUntil(kill_at, /*with_interrupt=*/false);
  }
  // The leaders are reaped; what they started in their groups (a shell's
  // background job) got the same signal and must be gone too before we
  // return: wait for each group to empty, SIGKILL what is left at the grace.
  for (pid_t g : groups) {
    while (killpg(g, 0) == 0 && clock_->MonotonicNanos() < kill_at) usleep(1000);
    if (killpg(g, 0) == 0) killpg(g, SIGKILL);
  }
}

}  // namespace mlpipe::exec
