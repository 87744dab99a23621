// SpawnerClient: mlpipe's end of the step spawner (spawner_main.cc), which
// forks LocalRunner's steps so that mlpipe does not fork itself per step.
//
// Launch starts the spawner (dying with the calling thread, like the steps
// it forks) and waits for its hello; Start sends one start request and waits
// for its answer (the spawner forks and execs, then answers), keeping the
// exits that arrive meanwhile. Exits are read by ReadExits when fd() is
// readable. If the spawner dies, every later call reports it, and the
// LocalRunner ends the steps it had started (their process groups) itself.
//
// Not thread-safe: the thread that drives its LocalRunner.
#pragma once

#include <sys/types.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/exec/command_runner.h"

namespace mlpipe::exec {

// A step's exit, as wait4 reported it to the spawner.
struct SpawnedExit {
  pid_t pid = -1;
  int status = 0;  // wait status
  int64_t cpu_ns = 0;
  int64_t max_rss_bytes = 0;
};

// Where the spawner executable is looked for, in order: $MLPIPE_SPAWN if
// set ("off": none), beside the running executable, the libexec folder of
// an installation (<bin>/../libexec/mlpipe), the build tree's (for an
// executable in the build tree).
std::vector<std::string> SpawnerCandidates();

class SpawnerClient {
 public:
  // Starts the spawner at `path`; an error says why it could not.
  static StatusOr<std::unique_ptr<SpawnerClient>> Launch(const std::string& path);
  // The first of SpawnerCandidates() that starts; the error lists why each did not.
  static StatusOr<std::unique_ptr<SpawnerClient>> LaunchFound();
  // Closes the socket and reaps the spawner, which exits on it.
  ~SpawnerClient();
  SpawnerClient(const SpawnerClient&) = delete;
  SpawnerClient& operator=(const SpawnerClient&) = delete;

  struct Started {
    pid_t pid = -1;       // -1: not started
    int error_number = 0;  // with pid -1: why the exec (or fork) failed
  };
  // Has the spawner fork and exec `path` (resolved) with `command`'s argv,
  // env (this process's environment when empty) and cwd, stdin from
  // `stdin_fd` (-1: /dev/null), stdout/stderr to the given fds (-1: this
  // process's). Unavailable if the request could not be sent (too large:
  // the caller forks itself) or the spawner died (see dead()).
  StatusOr<Started> Start(const std::string& path, const Command& command, int stdin_fd, int stdout_fd,
                          int stderr_fd, bool die_with_spawner, bool kill_group_on_exit);
  // Reads what has arrived without blocking (or, with `block`, at least one
  // message) and returns the exits received so far, oldest first.
  std::vector<SpawnedExit> ReadExits(bool block);

  // The socket: readable when exits have arrived, or the spawner died.
  int fd() const { return sock_; }
  pid_t pid() const { return pid_; }
  // Why the spawner is gone ("" while it runs).
  const std::string& dead() const { return dead_; }

 private:
  SpawnerClient(pid_t pid, int sock) : pid_(pid), sock_(sock) {}
  // Receives one message (blocking or not); false when none came. Marks the
  // spawner dead (and reaps it) at end-of-file or on an error.
  bool Receive(bool block);
  void MarkDead(const std::string& why);

  pid_t pid_ = -1;
  int sock_ = -1;
  uint32_t next_id_ = 1;
  std::string dead_;
  std::deque<SpawnedExit> exits_;
  // The answer to the request in flight, once received.
  bool have_answer_ = false;
  uint32_t answer_id_ = 0;
  Started answer_;
};

}  // namespace mlpipe::exec
