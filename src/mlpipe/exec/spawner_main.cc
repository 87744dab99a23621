// mlpipe-spawn: the step spawner. LocalRunner starts one per run and has it
// fork the steps, so that mlpipe never forks its own large self per step
// (its page tables and the copy-on-write faults after each fork were a
// third of its CPU on a 1,000-step fan-out: docs/benchmarks.md).
//
// Usage: mlpipe-spawn PARENT_PID, with fd 0 one end of a SOCK_SEQPACKET
// socketpair whose other end mlpipe holds (spawn_protocol.h). Dies with its
// parent (PR_SET_PDEATHSIG), and its steps die with it through theirs.
// Exits when mlpipe closes the socket. Single-threaded; links libc and
// spawn_child.cc only, and stays a few pages of memory: a step forked from
// it starts from those, so its peak RSS (wait4's ru_maxrss) is its own.
//
// With MLPIPE_SPAWN_RUSAGE=FILE in its environment it appends a line
// "PID USER_NS SYSTEM_NS" of its own CPU to FILE at exit: the engine
// benchmark counts that as mlpipe's (docs/benchmarks.md).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "mlpipe/exec/spawn_child.h"
#include "mlpipe/exec/spawn_protocol.h"

namespace proto = mlpipe::exec::spawn_protocol;

namespace {

struct SpawnerChild {
  pid_t pid;
  uint32_t flags;
};

int g_sock = -1;
SpawnerChild* g_children = nullptr;
size_t g_child_count = 0;
size_t g_child_capacity = 0;
proto::Record g_batch[proto::kMaxRecords];
int g_batch_size = 0;

int64_t SpawnerNanos(const timeval& tv) {
  return static_cast<int64_t>(tv.tv_sec) * 1'000'000'000 + static_cast<int64_t>(tv.tv_usec) * 1000;
}

// Sends the pending records as one message; exits if mlpipe is gone.
void SpawnerFlush() {
  if (g_batch_size == 0) return;
  const ssize_t n = TEMP_FAILURE_RETRY(
      send(g_sock, g_batch, sizeof(proto::Record) * static_cast<size_t>(g_batch_size), MSG_NOSIGNAL));
  if (n < 0) _exit(1);  // mlpipe closed its end or died: our steps die with us
  g_batch_size = 0;
}

void SpawnerAppend(const proto::Record& record) {
  if (g_batch_size == proto::kMaxRecords) SpawnerFlush();
  g_batch[g_batch_size++] = record;
}

void SpawnerRemember(pid_t pid, uint32_t flags) {
  if (g_child_count == g_child_capacity) {
    const size_t capacity = g_child_capacity == 0 ? 64 : 2 * g_child_capacity;
    void* grown = realloc(g_children, capacity * sizeof(SpawnerChild));
    if (grown == nullptr) _exit(1);
    g_children = static_cast<SpawnerChild*>(grown);
    g_child_capacity = capacity;
  }
  g_children[g_child_count++] = SpawnerChild{pid, flags};
}

// Forgets `pid`; returns its flags (0 if it was not a step).
uint32_t SpawnerForget(pid_t pid) {
  for (size_t i = 0; i < g_child_count; ++i) {
    if (g_children[i].pid == pid) {
      const uint32_t flags = g_children[i].flags;
      g_children[i] = g_children[--g_child_count];
      return flags;
    }
  }
  return 0;
}

// Reaps every step that has exited, killing what it left in its group first
// when asked (the leader is a zombie until reaped, so its pid still names
// the group), and reports them in one message.
void SpawnerReapExited() {
  for (;;) {
    siginfo_t info{};
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) break;
    const pid_t pid = info.si_pid;
    uint32_t flags = 0;
    for (size_t i = 0; i < g_child_count; ++i) {
      if (g_children[i].pid == pid) flags = g_children[i].flags;
    }
    if (flags & proto::kKillGroupOnExit) kill(-pid, SIGKILL);
    int status = 0;
    rusage usage{};
    if (TEMP_FAILURE_RETRY(wait4(pid, &status, 0, &usage)) != pid) break;
    SpawnerForget(pid);
    proto::Record record;
    record.type = proto::kExited;
    record.pid = pid;
    record.value = status;
    record.cpu_ns = SpawnerNanos(usage.ru_utime) + SpawnerNanos(usage.ru_stime);
    record.max_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;
    SpawnerAppend(record);
  }
  SpawnerFlush();
}

// Splits `count` NUL-terminated strings off [*at, end) into `out` (then a
// nullptr). False if the message is short.
bool SpawnerStrings(char** at, char* end, uint32_t count, char** out) {
  for (uint32_t i = 0; i < count; ++i) {
    char* nul = static_cast<char*>(memchr(*at, '\0', static_cast<size_t>(end - *at)));
    if (nul == nullptr) return false;
    out[i] = *at;
    *at = nul + 1;
  }
  out[count] = nullptr;
  return true;
}

// Handles one start request of `size` bytes in `buffer`, with the fds that
// came with it; answers with a kStarted record.
void SpawnerStart(char* buffer, size_t size, const int* fds, int fd_count, pid_t self) {
  proto::Record answer;
  answer.type = proto::kStarted;
  answer.pid = -1;
  answer.value = EINVAL;
  proto::StartRequest request;
  if (size >= sizeof request) {
    memcpy(&request, buffer, sizeof request);
    answer.id = request.id;
    char* at = buffer + sizeof request;
    char* const end = buffer + size;
    const uint64_t pointers = uint64_t{request.argc} + request.envc + 3;
    char** strings = pointers <= size ? static_cast<char**>(malloc(pointers * sizeof(char*))) : nullptr;
    char* path[2];  // the string, then SpawnerStrings' nullptr
    char* cwd[2];
    char** argv = strings;
    char** env = strings != nullptr ? strings + request.argc + 1 : nullptr;
    int wanted = 0;
    const uint32_t fd_bits[] = {proto::kHasStdin, proto::kHasStdout, proto::kHasStderr};
    for (uint32_t bit : fd_bits) wanted += (request.flags & bit) != 0;
    if (strings != nullptr && request.argc > 0 && wanted == fd_count &&
        SpawnerStrings(&at, end, 1, path) && SpawnerStrings(&at, end, request.argc, argv) &&
        SpawnerStrings(&at, end, request.envc, env) && SpawnerStrings(&at, end, 1, cwd)) {
      mlpipe::exec::ChildSetup setup;
      setup.path = path[0];
      setup.argv = argv;
      setup.env = env;
      setup.cwd = cwd[0][0] != '\0' ? cwd[0] : nullptr;
      int next = 0;
      if (request.flags & proto::kHasStdin) setup.stdin_fd = fds[next++];
      if (request.flags & proto::kHasStdout) setup.stdout_fd = fds[next++];
      if (request.flags & proto::kHasStderr) setup.stderr_fd = fds[next++];
      setup.parent = (request.flags & proto::kDieWithSpawner) ? self : 0;
      int error_number = 0;
      answer.pid = mlpipe::exec::ForkExecChild(setup, &error_number);
      answer.value = answer.pid < 0 ? error_number : 0;
      if (answer.pid > 0) SpawnerRemember(answer.pid, request.flags);
    }
    free(strings);
  }
  for (int i = 0; i < fd_count; ++i) close(fds[i]);
  SpawnerAppend(answer);
  SpawnerFlush();
}

// At exit, with MLPIPE_SPAWN_RUSAGE set: our own CPU, for the benchmark.
void SpawnerReportOwnCpu(const char* file) {
  if (file == nullptr || file[0] == '\0') return;
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  char line[96];
  const int len = snprintf(line, sizeof line, "%d %lld %lld\n", static_cast<int>(getpid()),
                           static_cast<long long>(SpawnerNanos(self.ru_utime)),
                           static_cast<long long>(SpawnerNanos(self.ru_stime)));
  const int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0 || len <= 0) return;
  [[maybe_unused]] ssize_t n = write(fd, line, static_cast<size_t>(len));
  close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  // Die with mlpipe, even on its kill -9; if it is already gone, go too.
  const pid_t parent = argc > 1 ? static_cast<pid_t>(atoi(argv[1])) : 0;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return 1;
  if (parent != 0 && getppid() != parent) return 1;
  const pid_t self = getpid();
  // The socket leaves fd 0 (which steps replace) for a CLOEXEC fd of its own.
  g_sock = fcntl(0, F_DUPFD_CLOEXEC, 3);
  if (g_sock < 0) return 1;
  const int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd > 0) {
    dup2(null_fd, 0);
    close(null_fd);
  }
  const char* rusage_file = getenv("MLPIPE_SPAWN_RUSAGE");
  // SIGCHLD through a signalfd: exits are read in the same poll as requests.
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, nullptr);
  const int sig_fd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  if (sig_fd < 0) return 1;
  // Touched only as far as a request fills it.
  void* mapped = mmap(nullptr, proto::kMaxRequestBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return 1;
  char* buffer = static_cast<char*>(mapped);

  proto::Record hello;
  hello.type = proto::kHello;
  hello.pid = self;
  hello.value = static_cast<int32_t>(proto::kVersion);
  SpawnerAppend(hello);
  SpawnerFlush();

  for (;;) {
    pollfd fds[2] = {{g_sock, POLLIN, 0}, {sig_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo info[16];
      while (read(sig_fd, info, sizeof info) > 0) {
      }
      SpawnerReapExited();
    }
    if (fds[0].revents == 0) continue;
    iovec iov{buffer, proto::kMaxRequestBytes};
    alignas(cmsghdr) char control[CMSG_SPACE(3 * sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = TEMP_FAILURE_RETRY(recvmsg(g_sock, &msg, MSG_CMSG_CLOEXEC));
    if (n <= 0) break;  // mlpipe closed its end (or died)
    int passed[3];
    int passed_count = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      const int count = static_cast<int>((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < count; ++i) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        if (passed_count < 3) {
          passed[passed_count++] = fd;
        } else {
          close(fd);
        }
      }
    }
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) passed_count = -passed_count - 1;  // rejected below
    if (passed_count < 0) {
      for (int i = 0; i < -passed_count - 1; ++i) close(passed[i]);
      SpawnerStart(buffer, 0, passed, 0, self);  // answers EINVAL
    } else {
      SpawnerStart(buffer, static_cast<size_t>(n), passed, passed_count, self);
    }
  }
  SpawnerReportOwnCpu(rusage_file);
  return 0;
}
