#include "mlpipe/engine/step_processes.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace mlpipe::engine {

std::optional<ProcStat> ReadProcStat(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buf[1024];
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  // The command name (field 2) may hold spaces and ')': fields 3.. follow
  // the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return std::nullopt;
  std::istringstream fields(p + 1);
  std::string field;
  ProcStat stat;
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) return std::nullopt;
    if (i == 3) stat.state = field[0];
    if (i == 5) stat.group = static_cast<pid_t>(std::atol(field.c_str()));
    if (i == 22) stat.start = std::strtoull(field.c_str(), nullptr, 10);
  }
  return stat;
}

StatusOr<std::vector<pid_t>> StepProcesses::EndLeftBehind(const std::string& path) {
  std::vector<pid_t> ended;
  std::map<pid_t, unsigned long long> recorded;  // group -> its leader's start
  {
    std::ifstream in(path);
    long long group = 0;
    unsigned long long start = 0;
    while (in >> group >> start) {
      if (group > 1) recorded[static_cast<pid_t>(group)] = start;
    }
  }
  if (recorded.empty()) return ended;
  // A group whose id a newer leader took is not ours.
  for (auto it = recorded.begin(); it != recorded.end();) {
    const auto leader = ReadProcStat(it->first);
    if (leader && leader->start != it->second) {
      it = recorded.erase(it);
    } else {
      ++it;
    }
  }
  if (DIR* proc = ::opendir("/proc")) {
    while (dirent* entry = ::readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(entry->d_name, &end, 10);
      if (end == entry->d_name || *end != '\0' || pid <= 1 || pid == ::getpid()) continue;
      // A zombie has ended already: only its parent's wait is missing.
      const auto stat = ReadProcStat(static_cast<pid_t>(pid));
      if (!stat || stat->state == 'Z') continue;
      auto it = recorded.find(stat->group);
      if (it == recorded.end() || stat->start < it->second) continue;
      if (::kill(static_cast<pid_t>(pid), SIGKILL) == 0) ended.push_back(static_cast<pid_t>(pid));
    }
    ::closedir(proc);
  }
  if (::truncate(path.c_str(), 0) != 0 && errno != ENOENT) {
    return ErrnoError("emptying " + path, errno);
  }
  return ended;
}

StepProcesses::StepProcesses(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

StepProcesses::~StepProcesses() {
  if (fd_ < 0) return;
  (void)::ftruncate(fd_, 0);
  ::close(fd_);
}

void StepProcesses::Record(pid_t pgid) {
  const auto stat = fd_ >= 0 ? ReadProcStat(pgid) : std::nullopt;
  if (!stat) return;
  const std::string line = fmt::format("{} {}\n", pgid, stat->start);
  ssize_t ignored = ::write(fd_, line.data(), line.size());
  (void)ignored;
}

}  // namespace mlpipe::engine
