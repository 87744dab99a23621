#include "mlpipe/exec/spawn.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "mlpipe/base/strings.h"

extern char** environ;

namespace mlpipe::exec {
namespace {

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// The PATH the child will see: from its environment if it sets one.
std::string PathFor(const Command& command) {
  if (!command.env.empty()) {
    for (const std::string& kv : command.env) {
      if (StartsWith(kv, "PATH=")) return kv.substr(5);
    }
  }
  const char* path = getenv("PATH");
  return path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
}

// Resolves a bare program name against PATH; "" if not found.
std::string Resolve(const std::string& program, const Command& command) {
  if (program.find('/') != std::string::npos) return program;
  for (const std::string& dir : Split(PathFor(command), ':')) {
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + program;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return "";
}

}  // namespace

pid_t SpawnProcessGroup(const Command& command, int stdout_fd, int stderr_fd, std::string* error,
                        int stdin_fd) {
  const std::string& program = command.argv.at(0);
  if (!command.cwd.empty()) {
    struct stat st {};
    const char* problem = nullptr;
    if (stat(command.cwd.c_str(), &st) != 0) {
      problem = strerror(errno);
    } else if (!S_ISDIR(st.st_mode)) {
      problem = "is not a directory";
    }
    if (problem != nullptr) {
      *error = fmt::format("cannot run '{}': working directory '{}': {}", program, command.cwd, problem);
      return -1;
    }
  }
  std::string resolved = Resolve(program, command);
  if (resolved.empty()) {
    *error = fmt::format("cannot run '{}': not found in PATH", program);
    return -1;
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdin_fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  // dup2 onto 0/1/2 clears FD_CLOEXEC on the copies; the originals close at exec.
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
  if (stderr_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2);
  if (!command.cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, command.cwd.c_str());

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  posix_spawnattr_setsigmask(&attr, &empty);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2})
    sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  std::vector<char*> argv = CStrings(command.argv);
  std::vector<char*> envp;
  if (!command.env.empty()) envp = CStrings(command.env);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, resolved.c_str(), &actions, &attr, argv.data(),
                       command.env.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *error = fmt::format("cannot run '{}': {}", program, strerror(rc));
    return -1;
  }
  return pid;
}

}  // namespace mlpipe::exec
