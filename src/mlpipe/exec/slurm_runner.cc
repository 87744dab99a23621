#include "mlpipe/exec/slurm_runner.h"

#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "mlpipe/base/secret_names.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/exec/interrupt.h"

namespace mlpipe::exec {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr int64_t kMiB = 1 << 20;
// A job Slurm stops listing before it was seen ending (purged, or the
// controller lost it) is reported after this many queries in a row.
constexpr int kMissingPollsToGiveUp = 3;

// `kv` as a word of `env -i`: a secret's value is not written into the
// script (Slurm stores job scripts where others may read them) but taken
// from the job's environment, which sbatch exports from the submitter's:
// ${NAME+"NAME=$NAME"} is that one word when NAME is set, none otherwise.
std::string SlurmEnvWord(const std::string& kv) {
  const size_t eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) return ShellQuote(kv);
  const std::string_view name(kv.data(), eq);
  const bool shell_name =
      std::all_of(name.begin(), name.end(),
                  [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }) &&
      std::isdigit(static_cast<unsigned char>(name[0])) == 0;
  if (!shell_name || !IsSecretVariable(name)) return ShellQuote(kv);
  return fmt::format("${{{0}+\"{0}=${0}\"}}", name);
}

}  // namespace

std::string SlurmBatchScript(const Command& command) {
  std::string script = "#!/bin/sh\n# a step of an mlpipe run\n";
  if (!command.cwd.empty()) script += fmt::format("cd {} || exit 127\n", ShellQuote(command.cwd));
  script += "exec";
  if (!command.env.empty()) {
    script += " env -i";
    for (const std::string& kv : command.env) script += fmt::format(" {}", SlurmEnvWord(kv));
  }
  for (const std::string& arg : command.argv) script += fmt::format(" {}", ShellQuote(arg));
  return script + "\n";
}

std::string SlurmGroupScript(const std::vector<Command>& commands,
                             const std::vector<std::string>& status_paths) {
  std::string script =
      fmt::format("#!/bin/sh\n# {} steps of an mlpipe run, one after another\n", commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    const Command& c = commands[i];
    script += "(";
    if (!c.cwd.empty()) script += fmt::format(" cd {} || exit 127;", ShellQuote(c.cwd));
    script += " exec";
    if (c.timeout_ns > 0) {  // TERM at the limit, KILL 5 s later; exit 124 then
      script += fmt::format(" timeout -k 5 {}s", (c.timeout_ns + kNsPerSecond - 1) / kNsPerSecond);
    }
    if (!c.env.empty()) {
      script += " env -i";
      for (const std::string& kv : c.env) script += fmt::format(" {}", SlurmEnvWord(kv));
    }
    for (const std::string& arg : c.argv) script += fmt::format(" {}", ShellQuote(arg));
    script += fmt::format(" ) </dev/null >{} 2>{}\n",
                          ShellQuote(c.stdout_path.empty() ? "/dev/null" : c.stdout_path),
                          ShellQuote(c.stderr_path.empty() ? "/dev/null" : c.stderr_path));
    const std::string tmp = ShellQuote(status_paths[i] + ".tmp");
    script += fmt::format("echo $? >{} && mv {} {}\n", tmp, tmp, ShellQuote(status_paths[i]));
  }
  return script;
}

std::vector<std::string> SbatchArgs(const Command& command, int job, const SlurmRunnerOptions& options) {
  std::vector<std::string> args;
  args.push_back(fmt::format("--job-name={}-{}", options.job_name_prefix,
                             command.name.empty() ? std::to_string(job) : command.name));
  args.push_back(fmt::format("--output={}", command.stdout_path.empty() ? "/dev/null" : command.stdout_path));
  args.push_back(fmt::format("--error={}", command.stderr_path.empty() ? "/dev/null" : command.stderr_path));
  args.push_back("--open-mode=truncate");
  if (!command.cwd.empty()) args.push_back(fmt::format("--chdir={}", command.cwd));
  args.push_back(fmt::format("--cpus-per-task={}", std::max(1, command.cpus)));
  if (command.memory_bytes > 0)
    args.push_back(fmt::format("--mem={}M", (command.memory_bytes + kMiB - 1) / kMiB));
  if (command.timeout_ns > 0) {
    // MINUTES:SECONDS, whole seconds rounded up.
    const int64_t seconds = std::max<int64_t>(1, (command.timeout_ns + kNsPerSecond - 1) / kNsPerSecond);
    args.push_back(fmt::format("--time={}:{:02}", seconds / 60, seconds % 60));
  }
  if (!options.partition.empty()) args.push_back(fmt::format("--partition={}", options.partition));
  if (!options.account.empty()) args.push_back(fmt::format("--account={}", options.account));
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
  if (!jobs_.empty() || !pending_.empty()) AbortAll();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (!options_.jobs_record.empty()) std::ofstream(options_.jobs_record, std::ios::trunc).flush();
}

void SlurmRunner::Wake() {
  if (wake_fd_ < 0) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof one);
}

size_t SlurmRunner::running() const {
  size_t n = pending_.size() + done_.size();
  for (const Job& j : jobs_) {
    for (const Member& m : j.members) n += m.reported ? 0 : 1;
  }
  return n;
}

Status SlurmRunner::Start(int job, const Command& command) {
  if (command.argv.empty()) return InvalidArgumentError(fmt::format("job {}: empty command", job));
  for (const Job& j : jobs_) {
    for (const Member& m : j.members) {
      if (m.job == job && !m.reported)
        return InvalidArgumentError(fmt::format("job {} is already running", job));
    }
  }
  for (const Pending& p : pending_) {
    if (p.job == job) return InvalidArgumentError(fmt::format("job {} is already running", job));
  }
  // Slurm opens the log files on the node and fails the job when their
  // folder is missing (a LocalRunner makes them as they are written).
  for (const std::string& log : {command.stdout_path, command.stderr_path}) {
    std::error_code ec;
    if (!log.empty()) std::filesystem::create_directories(std::filesystem::path(log).parent_path(), ec);
  }
  pending_.push_back({job, command});
  const bool grouping = options_.group_max > 1 && !options_.scratch_dir.empty();
  if (!grouping || pending_.size() >= static_cast<size_t>(options_.group_max)) SubmitPending();
  return OkStatus();
}

void SlurmRunner::SubmitPending() {
  const size_t group = options_.group_max > 1 && !options_.scratch_dir.empty() ? options_.group_max : 1;
  for (size_t at = 0; at < pending_.size(); at += group) {
    const size_t end = std::min(pending_.size(), at + group);
    Submit(std::vector<Pending>(pending_.begin() + static_cast<long>(at),
                                pending_.begin() + static_cast<long>(end)));
  }
  pending_.clear();
}

void SlurmRunner::Submit(const std::vector<Pending>& commands) {
  Job submitted;
  std::string script;
  std::vector<std::string> args;
  if (commands.size() == 1) {
    args = SbatchArgs(commands[0].command, commands[0].job, options_);
    script = SlurmBatchScript(commands[0].command);
    submitted.members.push_back({commands[0].job, commands[0].command.timeout_ns, {}, "", false});
  } else {
    // One job for the group: the largest request of its commands, the sum of
    // their timeouts (when every one has one), and a log of its own.
    const int group = ++groups_;
    std::error_code ec;
    std::filesystem::create_directories(options_.scratch_dir, ec);
    Command shape;
    shape.name = fmt::format(
        "{}+{}",
        commands[0].command.name.empty() ? std::to_string(commands[0].job) : commands[0].command.name,
        commands.size() - 1);
    shape.stdout_path = shape.stderr_path = fmt::format("{}/group-{}.log", options_.scratch_dir, group);
    std::vector<Command> members;
    std::vector<std::string> status_paths;
    bool all_timed = true;
    for (const Pending& p : commands) {
      shape.cpus = std::max(shape.cpus, p.command.cpus);
      shape.memory_bytes = std::max(shape.memory_bytes, p.command.memory_bytes);
      all_timed = all_timed && p.command.timeout_ns > 0;
      shape.timeout_ns += p.command.timeout_ns + 10 * kNsPerSecond;  // with timeout's own KILL grace
      members.push_back(p.command);
      status_paths.push_back(fmt::format("{}/group-{}.{}.status", options_.scratch_dir, group, p.job));
      submitted.members.push_back({p.job, p.command.timeout_ns, {}, status_paths.back(), false});
    }
    if (!all_timed) shape.timeout_ns = 0;
    args = SbatchArgs(shape, commands[0].job, options_);
    script = SlurmGroupScript(members, status_paths);
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    for (const std::string& log : {commands[i].command.stdout_path, commands[i].command.stderr_path}) {
      if (!log.empty()) submitted.members[i].logs.push_back(log);
    }
  }
  auto id = client_.Submit(args, script);
  if (!id.ok()) {  // reported like a program that cannot be started
    for (const Pending& p : commands) {
      CommandResult result;
      result.error = id.status().message();
      done_.emplace_back(p.job, std::move(result));
    }
    return;
  }
  ++submitted_;
  if (!options_.jobs_record.empty()) {  // best effort, like a local step's process group record
    std::ofstream(options_.jobs_record, std::ios::app) << *id << "\n" << std::flush;
  }
  submitted.id = *id;
  submitted.start_ns = clock_->MonotonicNanos();
  jobs_.push_back(std::move(submitted));
}

void SlurmRunner::Report(const Job& j, Member& m, CommandResult result, int64_t now) {
  if (j.cancelled && !result.ok()) {
    result = CommandResult{};
    result.cancelled = true;
  }
  result.wall_ns = now - j.start_ns;
  for (const std::string& log : m.logs) {
    std::error_code ec;
    if (std::filesystem::file_size(log, ec) == 0 && !ec) std::filesystem::remove(log, ec);
  }
  m.reported = true;
  done_.emplace_back(m.job, std::move(result));
}

// A grouped command's result from the exit status its job's script wrote:
// sh's 128 + N for a death by signal N, and 124 from timeout(1) when the
// command had a timeout.
static CommandResult ResultOfGroupedExit(int rc, int64_t timeout_ns) {
  CommandResult r;
  r.timeout_ns = timeout_ns;
  if (timeout_ns > 0 && (rc == 124 || rc == 128 + SIGKILL)) {
    r.timed_out = true;
  } else if (rc > 128 && rc <= 128 + 64) {
    r.term_signal = rc - 128;
  } else {
    r.exit_code = rc;
  }
  return r;
}

Status SlurmRunner::Poll() {
  std::vector<std::string> ids;
  ids.reserve(jobs_.size());
  for (const Job& j : jobs_) ids.push_back(j.id);
  ++queries_;
  last_poll_ns_ = clock_->MonotonicNanos();
  ASSIGN_OR_RETURN(std::vector<SlurmJobState> states, client_.Query(ids));
  const int64_t now = clock_->MonotonicNanos();
  for (Job& j : jobs_) {
    // Grouped commands that ended, whatever their job's state.
    for (Member& m : j.members) {
      if (m.reported || m.status_path.empty()) continue;
      std::ifstream in(m.status_path);
      int rc = -1;
      if (in >> rc) Report(j, m, ResultOfGroupedExit(rc, m.timeout_ns), now);
    }
    auto it =
        std::find_if(states.begin(), states.end(), [&](const SlurmJobState& s) { return s.id == j.id; });
    if (it == states.end()) {
      if (++j.missing_polls < kMissingPollsToGiveUp) continue;
    } else if (!IsFinalSlurmState(it->state)) {
      j.missing_polls = 0;
      continue;
    }
    // The job ended: what is not reported yet ends with it.
    for (Member& m : j.members) {
      if (m.reported) continue;
      CommandResult result;
      if (it == states.end()) {
        result.error = fmt::format("Slurm no longer knows job {}", j.id);
      } else if (m.status_path.empty()) {
        result = ResultOfSlurmJob(*it, m.timeout_ns);
      } else if (it->state == "TIMEOUT") {
        result.timed_out = true;
        result.timeout_ns = m.timeout_ns;
      } else {
        result.error =
            fmt::format("Slurm job {} of its group ended {} ({}) before it did", j.id, it->state, it->reason);
      }
      Report(j, m, std::move(result), now);
    }
  }
  std::erase_if(jobs_, [](const Job& j) {
    return std::all_of(j.members.begin(), j.members.end(), [](const Member& m) { return m.reported; });
  });
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
  if (!pending_.empty()) SubmitPending();  // the executor's pass of starts is over
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
  for (const Pending& p : pending_) {  // never submitted
    CommandResult result;
    result.cancelled = true;
    done_.emplace_back(p.job, std::move(result));
  }
  pending_.clear();
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
  const int64_t now = clock_->MonotonicNanos();
  for (Job& j : jobs_) {  // Slurm did not confirm: reported cancelled all the same
    for (Member& m : j.members) {
      if (m.reported) continue;
      CommandResult result;
      result.cancelled = true;
      Report(j, m, std::move(result), now);
    }
  }
  jobs_.clear();
}

}  // namespace mlpipe::exec
