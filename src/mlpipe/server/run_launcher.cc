#include "mlpipe/server/run_launcher.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mlpipe/exec/spawn.h"

namespace mlpipe::server {

ProcessLauncher::ProcessLauncher(std::string mlpipe_exe, std::function<void()> wake)
    : mlpipe_exe_(std::move(mlpipe_exe)), wake_(std::move(wake)) {}

ProcessLauncher::~ProcessLauncher() {
  std::map<int64_t, std::unique_ptr<Child>> children;
  {
    std::lock_guard lock(mu_);
    children.swap(children_);
  }
  for (auto& [id, child] : children) {
    if (child->reader.joinable()) child->reader.join();
  }
}

Status ProcessLauncher::Launch(const LaunchRequest& request) {
  exec::Command command;
  command.argv = {mlpipe_exe_, "run", request.spec_path, "--json", "--trigger", request.trigger};
  if (request.resume_run) {
    command.argv.push_back("--resume");
    command.argv.push_back(std::to_string(*request.resume_run));
  }
  for (const std::string& p : request.param_overrides) {
    command.argv.push_back("-p");
    command.argv.push_back(p);
  }
  command.cwd = request.cwd;
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  const int log_fd = request.log_path.empty()
                         ? -1
                         : open(request.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  std::string error;
  const pid_t pid = exec::SpawnProcessGroup(command, pipe_fds[1], log_fd, &error);
  close(pipe_fds[1]);
  if (pid < 0) {
    close(pipe_fds[0]);
    if (log_fd >= 0) close(log_fd);
    return UnavailableError(fmt::format("cannot start the run: {}", error));
  }
  auto child = std::make_unique<Child>();
  child->pid = pid;
  Child* raw = child.get();
  std::lock_guard lock(mu_);
  auto& slot = children_[request.fire_id];
  if (slot && slot->reader.joinable()) slot->reader.join();
  slot = std::move(child);
  raw->reader =
      std::thread([this, id = request.fire_id, pid, fd = pipe_fds[0], log_fd] { Read(id, pid, fd, log_fd); });
  return OkStatus();
}

void ProcessLauncher::Read(int64_t fire_id, pid_t pid, int out_fd, int log_fd) {
  std::string pending;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(out_fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (log_fd >= 0) (void)!write(log_fd, buf, static_cast<size_t>(n));
    pending.append(buf, static_cast<size_t>(n));
    std::vector<LaunchReport> lines;
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (nl > start) lines.push_back({fire_id, false, 0, pending.substr(start, nl - start)});
    }
    pending.erase(0, start);
    if (!lines.empty()) {
      {
        std::lock_guard lock(mu_);
        for (auto& l : lines) reports_.push_back(std::move(l));
      }
      wake_();
    }
  }
  close(out_fd);
  if (log_fd >= 0) close(log_fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const int code =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  {
    std::lock_guard lock(mu_);
    reports_.push_back({fire_id, true, code, {}});
    auto it = children_.find(fire_id);
    if (it != children_.end()) it->second->done = true;
  }
  wake_();
}

bool ProcessLauncher::Signal(int64_t fire_id, int sig) {
  std::lock_guard lock(mu_);
  auto it = children_.find(fire_id);
  if (it == children_.end() || it->second->done) return false;
  return kill(-it->second->pid, sig) == 0;
}

std::vector<LaunchReport> ProcessLauncher::TakeReports() {
  std::vector<LaunchReport> out;
  std::vector<std::unique_ptr<Child>> finished;
  {
    std::lock_guard lock(mu_);
    out.swap(reports_);
    for (auto it = children_.begin(); it != children_.end();) {
      if (it->second->done) {
        finished.push_back(std::move(it->second));
        it = children_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& c : finished) {
    if (c->reader.joinable()) c->reader.join();
  }
  return out;
}

int ProcessLauncher::running() const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const auto& [id, c] : children_) n += c->done ? 0 : 1;
  return n;
}

}  // namespace mlpipe::server
