#include "mlpipe/exec/slurm_runner.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "mlpipe/exec/interrupt.h"

namespace mlpipe::exec {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr int64_t kMiB = 1 << 20;
// A job Slurm stops listing before it was seen ending (purged, or the
// controller lost it) is reported after this many queries in a row.
constexpr int kMissingPollsToGiveUp = 3;

// 'text' for sh, with embedded quotes closed and escaped.
std::string SlurmShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string SlurmBatchScript(const Command& command) {
  std::string script = "#!/bin/sh\n# a step of an mlpipe run\n";
  if (!command.cwd.empty()) script += fmt::format("cd {} || exit 127\n", SlurmShellQuote(command.cwd));
  script += "exec";
  if (!command.env.empty()) {
    script += " env -i";
    for (const std::string& kv : command.env) script += " " + SlurmShellQuote(kv);
  }
  for (const std::string& arg : command.argv) script += " " + SlurmShellQuote(arg);
  return script + "\n";
}

std::vector<std::string> SbatchArgs(const Command& command, int job, const SlurmRunnerOptions& options) {
  std::vector<std::string> args;
  args.push_back(fmt::format("--job-name={}-{}", options.job_name_prefix,
                             command.name.empty() ? std::to_string(job) : command.name));
  args.push_back("--output=" +
                 (command.stdout_path.empty() ? std::string("/dev/null") : command.stdout_path));
  args.push_back("--error=" + (command.stderr_path.empty() ? std::string("/dev/null") : command.stderr_path));
  args.push_back("--open-mode=truncate");
  if (!command.cwd.empty()) args.push_back("--chdir=" + command.cwd);
  args.push_back(fmt::format("--cpus-per-task={}", std::max(1, command.cpus)));
  if (command.memory_bytes > 0)
    args.push_back(fmt::format("--mem={}M", (command.memory_bytes + kMiB - 1) / kMiB));
  if (command.timeout_ns > 0) {
    // MINUTES:SECONDS, whole seconds rounded up.
    const int64_t seconds = std::max<int64_t>(1, (command.timeout_ns + kNsPerSecond - 1) / kNsPerSecond);
    args.push_back(fmt::format("--time={}:{:02}", seconds / 60, seconds % 60));
  }
  if (!options.partition.empty()) args.push_back("--partition=" + options.partition);
  if (!options.account.empty()) args.push_back("--account=" + options.account);
  args.insert(args.end(), options.sbatch_args.begin(), options.sbatch_args.end());
  return args;
}

CommandResult ResultOfSlurmJob(const SlurmJobState& state, int64_t timeout_ns) {
  CommandResult r;
  r.timeout_ns = timeout_ns;
  const int ws = state.wait_status;
  if (state.reason == "JobLaunchFailure") {  // the node could not start it (its log folder, its cwd)
    r.error = fmt::format("Slurm could not launch job {} (JobLaunchFailure; the node's slurmd log says why)",
                          state.id);
    return r;
  }
  if (state.state == "COMPLETED" || state.state == "FAILED") {
    if (ws >= 0 && WIFSIGNALED(ws)) {
      r.term_signal = WTERMSIG(ws);
    } else if (ws >= 0) {
      r.exit_code = WEXITSTATUS(ws);
    } else {
      r.exit_code = state.state == "COMPLETED" ? 0 : 1;
    }
    return r;
  }
  if (state.state == "TIMEOUT") {
    r.timed_out = true;
    return r;
  }
  if (state.state == "CANCELLED") {
    r.term_signal = SIGTERM;
    r.error = fmt::format("Slurm job {} was cancelled outside this run ({})", state.id, state.reason);
    return r;
  }
  if (state.state == "OUT_OF_MEMORY") {
    r.term_signal = SIGKILL;
    r.error = fmt::format(
        "Slurm job {} ran out of memory (OUT_OF_MEMORY): ask for more with resources: {{memory: ...}}",
        state.id);
    return r;
  }
  r.error = fmt::format("Slurm job {} ended {} ({})", state.id, state.state, state.reason);
  return r;
}

SlurmRunner::SlurmRunner(SlurmClient& client, SlurmRunnerOptions options)
    : client_(client), options_(std::move(options)), clock_(options_.clock ? options_.clock : &RealClock()) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (options_.jobs_record.empty()) return;
  std::ifstream in(options_.jobs_record);
  std::vector<std::string> recorded;
  for (std::string id; std::getline(in, id);) {
    if (!id.empty()) recorded.push_back(id);
  }
  // Those still queued or running (a Slurm that does not answer: all of them).
  auto states = client_.Query(recorded);
  for (const std::string& id : recorded) {
    bool ended = false;
    if (states.ok()) {
      auto it =
          std::find_if(states->begin(), states->end(), [&](const SlurmJobState& st) { return st.id == id; });
      ended = it == states->end() || IsFinalSlurmState(it->state);
    }
    if (!ended) left_behind_.push_back(id);
  }
  if (!left_behind_.empty()) (void)client_.Cancel(left_behind_);
  std::ofstream(options_.jobs_record, std::ios::trunc).flush();
}

SlurmRunner::~SlurmRunner() {
  if (!jobs_.empty()) AbortAll();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (!options_.jobs_record.empty()) std::ofstream(options_.jobs_record, std::ios::trunc).flush();
}

void SlurmRunner::Wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

Status SlurmRunner::Start(int job, const Command& command) {
  if (command.argv.empty()) return InvalidArgumentError(fmt::format("job {}: empty command", job));
  for (const Job& j : jobs_) {
    if (j.job == job) return InvalidArgumentError(fmt::format("job {} is already running", job));
  }
  // Slurm opens the log files on the node and fails the job when their
  // folder is missing (a LocalRunner makes them as they are written).
  for (const std::string& log : {command.stdout_path, command.stderr_path}) {
    std::error_code ec;
    if (!log.empty()) std::filesystem::create_directories(std::filesystem::path(log).parent_path(), ec);
  }
  auto id = client_.Submit(SbatchArgs(command, job, options_), SlurmBatchScript(command));
  if (!id.ok()) {  // reported like a program that cannot be started
    CommandResult result;
    result.error = id.status().message();
    done_.emplace_back(job, std::move(result));
    return OkStatus();
  }
  if (!options_.jobs_record.empty()) {  // best effort, like a local step's process group record
    std::ofstream(options_.jobs_record, std::ios::app) << *id << "\n" << std::flush;
  }
  Job submitted{job, *id, clock_->MonotonicNanos(), command.timeout_ns, false, 0, {}};
  for (const std::string& log : {command.stdout_path, command.stderr_path}) {
    if (!log.empty()) submitted.logs.push_back(log);
  }
  jobs_.push_back(std::move(submitted));
  return OkStatus();
}

Status SlurmRunner::Poll() {
  std::vector<std::string> ids;
  ids.reserve(jobs_.size());
  for (const Job& j : jobs_) ids.push_back(j.id);
  ++queries_;
  last_poll_ns_ = clock_->MonotonicNanos();
  ASSIGN_OR_RETURN(std::vector<SlurmJobState> states, client_.Query(ids));
  const int64_t now = clock_->MonotonicNanos();
  std::vector<Job> still;
  for (Job& j : jobs_) {
    auto it =
        std::find_if(states.begin(), states.end(), [&](const SlurmJobState& s) { return s.id == j.id; });
    CommandResult result;
    if (it == states.end()) {
      if (++j.missing_polls < kMissingPollsToGiveUp) {
        still.push_back(j);
        continue;
      }
      result.error = fmt::format("Slurm no longer knows job {}", j.id);
    } else if (!IsFinalSlurmState(it->state)) {
      j.missing_polls = 0;
      still.push_back(j);
      continue;
    } else {
      result = ResultOfSlurmJob(*it, j.timeout_ns);
    }
    if (j.cancelled) {
      result = CommandResult{};
      result.cancelled = true;
    }
    result.wall_ns = now - j.start_ns;
    for (const std::string& log : j.logs) {
      std::error_code ec;
      if (std::filesystem::file_size(log, ec) == 0 && !ec) std::filesystem::remove(log, ec);
    }
    done_.emplace_back(j.job, std::move(result));
  }
  jobs_ = std::move(still);
  return OkStatus();
}

void SlurmRunner::Sleep(int64_t until_ns, bool with_interrupt) {
  const int64_t now = clock_->MonotonicNanos();
  if (until_ns <= now) return;
  if (clock_ != &RealClock()) {  // a fake clock moves instead
    clock_->SleepFor(until_ns - now);
    return;
  }
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {with_interrupt ? InterruptFd() : -1, POLLIN, 0}};
  const int64_t ms = std::min<int64_t>((until_ns - now + 999'999) / 1'000'000, 60'000);
  if (::poll(fds, 2, static_cast<int>(ms)) > 0 && (fds[0].revents & POLLIN)) {
    uint64_t count = 0;
    (void)!::read(wake_fd_, &count, sizeof count);
  }
}

StatusOr<std::optional<std::pair<int, CommandResult>>> SlurmRunner::Wait(int64_t deadline_mono_ns) {
  using Result = std::optional<std::pair<int, CommandResult>>;
  for (;;) {
    if (!done_.empty()) {
      auto front = std::move(done_.front());
      done_.pop_front();
      return Result(std::move(front));
    }
    if (options_.watch_interrupts && InterruptRequested()) return CancelledError("interrupted");
    const int64_t now = clock_->MonotonicNanos();
    if (jobs_.empty()) {
      if (deadline_mono_ns == kNoDeadline) return FailedPreconditionError("Wait with nothing running");
      if (now >= deadline_mono_ns) return Result();
      Sleep(deadline_mono_ns, options_.watch_interrupts);
      if (clock_->MonotonicNanos() >= deadline_mono_ns) return Result();
      continue;
    }
    const int64_t next_poll = last_poll_ns_ + options_.poll_interval_ns;
    if (now >= next_poll) {
      RETURN_IF_ERROR(Poll());
      continue;
    }
    if (now >= deadline_mono_ns) return Result();
    Sleep(std::min(next_poll, deadline_mono_ns), options_.watch_interrupts);
    if (clock_->MonotonicNanos() >= deadline_mono_ns && done_.empty()) return Result();
  }
}

void SlurmRunner::AbortAll() {
  if (jobs_.empty()) return;
  std::vector<std::string> ids;
  for (Job& j : jobs_) {
    j.cancelled = true;
    ids.push_back(j.id);
  }
  (void)client_.Cancel(ids);
  const int64_t give_up = clock_->MonotonicNanos() + options_.abort_wait_ns;
  while (!jobs_.empty() && clock_->MonotonicNanos() < give_up) {
    Sleep(last_poll_ns_ + options_.poll_interval_ns, /*with_interrupt=*/false);
    if (!Poll().ok()) break;
  }
  for (const Job& j : jobs_) {  // Slurm did not confirm: reported cancelled all the same
    CommandResult result;
    result.cancelled = true;
    result.wall_ns = clock_->MonotonicNanos() - j.start_ns;
    done_.emplace_back(j.job, std::move(result));
  }
  jobs_.clear();
}

}  // namespace mlpipe::exec
