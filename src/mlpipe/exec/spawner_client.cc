#include "mlpipe/exec/spawner_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "mlpipe/base/self_exe.h"
#include "mlpipe/exec/spawn.h"
#include "mlpipe/exec/spawn_protocol.h"

extern char** environ;

#ifndef MLPIPE_LIBEXEC_FROM_BIN
#define MLPIPE_LIBEXEC_FROM_BIN "../libexec/mlpipe"
#endif

namespace mlpipe::exec {
namespace proto = spawn_protocol;
namespace {

// How long Launch waits for the spawner's hello: it only execs and writes.
constexpr int kSpawnerHelloTimeoutMs = 5000;

std::string SpawnerWaitText(int status) {
  if (WIFSIGNALED(status)) return fmt::format("was killed by {}", SignalName(WTERMSIG(status)));
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return "ended";
}

void SpawnerAppendString(std::string& out, const char* s) {
  out.append(s);
  out.push_back('\0');
}

}  // namespace

std::vector<std::string> SpawnerCandidates() {
  if (const char* forced = getenv("MLPIPE_SPAWN"); forced != nullptr && forced[0] != '\0') {
    if (std::string(forced) == "off") return {};
    return {forced};
  }
  std::vector<std::string> out;
  const std::string self = SelfExecutable();
  if (!self.empty()) {
    const std::filesystem::path bin = std::filesystem::path(self).parent_path();
    out.push_back((bin / "mlpipe-spawn").string());
    out.push_back((bin / MLPIPE_LIBEXEC_FROM_BIN / "mlpipe-spawn").lexically_normal().string());
  }
#if defined(MLPIPE_SPAWN_BUILD_PATH) && defined(MLPIPE_SPAWN_BUILD_DIR)
  // Only for what runs from the build tree (the tests' executables): an
  // installed mlpipe never picks up a build tree's spawner.
  if (self.rfind(MLPIPE_SPAWN_BUILD_DIR "/", 0) == 0) out.push_back(MLPIPE_SPAWN_BUILD_PATH);
#endif
  return out;
}

StatusOr<std::unique_ptr<SpawnerClient>> SpawnerClient::LaunchFound() {
  std::vector<std::string> candidates = SpawnerCandidates();
  if (candidates.empty()) return UnavailableError("no step spawner: MLPIPE_SPAWN=off");
  std::string why;
  for (const std::string& path : candidates) {
    if (access(path.c_str(), X_OK) != 0) {
      why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", path, strerror(errno));
      continue;
    }
    StatusOr<std::unique_ptr<SpawnerClient>> client = Launch(path);
    if (client.ok()) return client;
    why += fmt::format("{}{}", why.empty() ? "" : "; ", client.status().message());
  }
  return UnavailableError(fmt::format("no step spawner: {}", why));
}

StatusOr<std::unique_ptr<SpawnerClient>> SpawnerClient::Launch(const std::string& path) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return UnavailableError(fmt::format("{}: socketpair: {}", path, strerror(errno)));
  }
  // Room for a large request in one datagram (capped by net.core.wmem_max;
  // a request that still does not fit is forked by the caller).
  const int sndbuf = static_cast<int>(proto::kMaxRequestBytes);
  setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  Command command;
  command.argv = {path, std::to_string(getpid())};
  SpawnOptions options;
  options.die_with_parent = true;
  std::string error;
  const pid_t pid = SpawnProcessGroup(command, /*stdout_fd=*/-1, /*stderr_fd=*/-1, &error, /*stdin_fd=*/sv[1], options);
  close(sv[1]);
  if (pid < 0) {
    close(sv[0]);
    return UnavailableError(error);
  }
  std::unique_ptr<SpawnerClient> client(new SpawnerClient(pid, sv[0]));
  pollfd p{sv[0], POLLIN, 0};
  const int ready = TEMP_FAILURE_RETRY(poll(&p, 1, kSpawnerHelloTimeoutMs));
  proto::Record hello;
  const ssize_t n = ready > 0 ? TEMP_FAILURE_RETRY(recv(sv[0], &hello, sizeof hello, MSG_DONTWAIT)) : -1;
  if (n != static_cast<ssize_t>(sizeof hello) || hello.type != proto::kHello ||
      hello.value != static_cast<int32_t>(proto::kVersion)) {
    kill(pid, SIGKILL);  // the destructor reaps it
    return UnavailableError(fmt::format("{}: no hello of protocol version {} from it", path, proto::kVersion));
  }
  return client;
}

SpawnerClient::~SpawnerClient() {
  if (sock_ >= 0) close(sock_);
  // It exits when its socket closes.
  if (pid_ > 0) TEMP_FAILURE_RETRY(waitpid(pid_, nullptr, 0));
}

void SpawnerClient::MarkDead(const std::string& why) {
  if (!dead_.empty()) return;
  // End-of-file means it exited; anything else, make sure it has.
  if (!why.empty()) kill(pid_, SIGKILL);
  int status = 0;
  const pid_t r = TEMP_FAILURE_RETRY(waitpid(pid_, &status, 0));
  dead_ = fmt::format("the step spawner (pid {}) {}", pid_,
                      !why.empty() ? why : r == pid_ ? SpawnerWaitText(status) : "ended");
  pid_ = -1;
  close(sock_);
  sock_ = -1;
}

bool SpawnerClient::Receive(bool block) {
  if (!dead_.empty()) return false;
  proto::Record records[proto::kMaxRecords];
  const ssize_t n = TEMP_FAILURE_RETRY(recv(sock_, records, sizeof records, block ? 0 : MSG_DONTWAIT));
  if (n == 0) {
    MarkDead("");
    return false;
  }
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    MarkDead(fmt::format("could not be read: {}", strerror(errno)));
    return false;
  }
  const size_t count = static_cast<size_t>(n) / sizeof(proto::Record);
  for (size_t i = 0; i < count; ++i) {
    const proto::Record& r = records[i];
    if (r.type == proto::kExited) {
      exits_.push_back(SpawnedExit{r.pid, r.value, r.cpu_ns, r.max_rss_bytes});
    } else if (r.type == proto::kStarted) {
      have_answer_ = true;
      answer_id_ = r.id;
      answer_ = Started{r.pid, r.value};
    }
  }
  return true;
}

StatusOr<SpawnerClient::Started> SpawnerClient::Start(const std::string& path, const Command& command,
                                                      int stdin_fd, int stdout_fd, int stderr_fd,
                                                      bool die_with_spawner, bool kill_group_on_exit) {
  if (!dead_.empty()) return UnavailableError(dead_);
  proto::StartRequest request;
  request.id = next_id_++;
  request.argc = static_cast<uint32_t>(command.argv.size());
  if (die_with_spawner) request.flags |= proto::kDieWithSpawner;
  if (kill_group_on_exit) request.flags |= proto::kKillGroupOnExit;
  std::string body(reinterpret_cast<const char*>(&request), sizeof request);
  SpawnerAppendString(body, path.c_str());
  for (const std::string& arg : command.argv) SpawnerAppendString(body, arg.c_str());
  uint32_t envc = 0;
  if (!command.env.empty()) {
    for (const std::string& kv : command.env) SpawnerAppendString(body, kv.c_str());
    envc = static_cast<uint32_t>(command.env.size());
  } else {
    // Our environment now, not the spawner's copy from its start.
    for (char** e = environ; *e != nullptr; ++e, ++envc) SpawnerAppendString(body, *e);
  }
  SpawnerAppendString(body, command.cwd.c_str());
  // The streams: ours where the caller gives none, as a fork of ours would have.
  int fds[3];
  int fd_count = 0;
  if (stdin_fd >= 0) {
    request.flags |= proto::kHasStdin;
    fds[fd_count++] = stdin_fd;
  }
  const int out = stdout_fd >= 0 ? stdout_fd : 1;
  const int err = stderr_fd >= 0 ? stderr_fd : 2;
  if (fcntl(out, F_GETFD) >= 0) {
    request.flags |= proto::kHasStdout;
    fds[fd_count++] = out;
  }
  if (fcntl(err, F_GETFD) >= 0) {
    request.flags |= proto::kHasStderr;
    fds[fd_count++] = err;
  }
  request.envc = envc;
  memcpy(body.data(), &request, sizeof request);
  if (body.size() > proto::kMaxRequestBytes) return UnavailableError("the command is too large for the spawner");

  iovec iov{body.data(), body.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd_count > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(static_cast<size_t>(fd_count) * sizeof(int));
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(static_cast<size_t>(fd_count) * sizeof(int));
    memcpy(CMSG_DATA(c), fds, static_cast<size_t>(fd_count) * sizeof(int));
  }
  if (TEMP_FAILURE_RETRY(sendmsg(sock_, &msg, MSG_NOSIGNAL)) < 0) {
    if (errno == EMSGSIZE || errno == ENOBUFS) {
      return UnavailableError(fmt::format("the command is too large for the spawner: {}", strerror(errno)));
    }
    MarkDead(fmt::format("could not be written to: {}", strerror(errno)));
    return UnavailableError(dead_);
  }
  while (!(have_answer_ && answer_id_ == request.id)) {
    Receive(/*block=*/true);
    if (!dead_.empty()) return UnavailableError(dead_);
  }
  have_answer_ = false;
  return answer_;
}

std::vector<SpawnedExit> SpawnerClient::ReadExits(bool block) {
  if (block && exits_.empty()) Receive(true);
  while (Receive(false)) {
  }
  std::vector<SpawnedExit> out(exits_.begin(), exits_.end());
  exits_.clear();
  return out;
}

}  // namespace mlpipe::exec
