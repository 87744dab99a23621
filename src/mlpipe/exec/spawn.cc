#include "mlpipe/exec/spawn.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "mlpipe/base/strings.h"
#include "mlpipe/exec/spawn_child.h"

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

std::string ResolveForSpawn(const Command& command, std::string* error) {
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
      return "";
    }
  }
  std::string resolved = Resolve(program, command);
  if (resolved.empty()) *error = fmt::format("cannot run '{}': not found in PATH", program);
  return resolved;
}

pid_t SpawnProcessGroup(const Command& command, int stdout_fd, int stderr_fd, std::string* error,
                        int stdin_fd, const SpawnOptions& options) {
  const std::string resolved = ResolveForSpawn(command, error);
  if (resolved.empty()) return -1;
  // Everything the child needs is made before fork: between fork and exec it
  // makes system calls only (the parent has other threads).
  std::vector<char*> argv = CStrings(command.argv);
  std::vector<char*> envp;
  if (!command.env.empty()) envp = CStrings(command.env);
  ChildSetup setup;
  setup.path = resolved.c_str();
  setup.argv = argv.data();
  setup.env = command.env.empty() ? environ : envp.data();
  setup.cwd = command.cwd.empty() ? nullptr : command.cwd.c_str();
  setup.stdin_fd = stdin_fd;
  setup.stdout_fd = stdout_fd;
  setup.stderr_fd = stderr_fd;
  setup.fd3 = options.fd3;
  setup.new_process_group = options.new_process_group;
  setup.parent = options.die_with_parent ? getpid() : 0;
  int error_number = 0;
  const pid_t pid = ForkExecChild(setup, &error_number);
  if (pid < 0) *error = fmt::format("cannot run '{}': {}", command.argv.at(0), strerror(error_number));
  return pid;
}

}  // namespace mlpipe::exec
