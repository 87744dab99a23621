// Process-group checks shared by the runner's tests (tests only).
#pragma once

#include <dirent.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>

#include "mlpipe/base/clock.h"

namespace mlpipe::exec {

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// True if a live (not zombie) process is in process group `pgid`, per /proc.
inline bool LiveMemberOfGroup(pid_t pgid) {
  if (kill(-pgid, 0) != 0 && errno == ESRCH) return false;  // nothing at all, not even zombies
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return true;
  bool alive = false;
  while (dirent* e = readdir(proc)) {
    std::string stat = ReadFile(std::string("/proc/") + e->d_name + "/stat");
    size_t paren = stat.rfind(')');
    if (stat.empty() || paren == std::string::npos) continue;
    std::istringstream fields(stat.substr(paren + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    fields >> state >> ppid >> pgrp;
    if (pgrp == pgid && state != 'Z' && state != 'X') alive = true;
  }
  closedir(proc);
  return alive;
}

// A SIGKILLed process needs a moment to finish dying, and orphaned
// grandchildren are reaped by init, not by us: allow up to a second for the
// group to have no live member.
inline bool GroupAlive(pid_t pgid) {
  int64_t give_up = RealClock().MonotonicNanos() + 1'000'000'000;
  while (LiveMemberOfGroup(pgid)) {
    if (RealClock().MonotonicNanos() > give_up) return true;
    usleep(10'000);
  }
  return false;
}

}  // namespace mlpipe::exec
