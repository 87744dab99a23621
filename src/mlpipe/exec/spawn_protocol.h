// The messages between LocalRunner (spawner_client.h) and the step spawner
// (spawner_main.cc) over their SOCK_SEQPACKET socketpair: one message, one
// datagram. Plain structs of fixed-size fields: both ends are built from the
// same tree, and the hello record's version rejects any other spawner.
#pragma once

#include <cstdint>

namespace mlpipe::exec::spawn_protocol {

inline constexpr uint32_t kVersion = 1;

// A start request: this header, then NUL-terminated strings (the program's
// resolved path, argc argv strings, envc environment strings, the cwd: ""
// for the spawner's), with the fds named by the flags passed as SCM_RIGHTS
// in the order stdin, stdout, stderr.
struct StartRequest {
  uint32_t id = 0;  // echoed in the answer
  uint32_t flags = 0;
  uint32_t argc = 0;
  uint32_t envc = 0;
};
inline constexpr uint32_t kDieWithSpawner = 1;  // PR_SET_PDEATHSIG(SIGKILL) in the step
inline constexpr uint32_t kKillGroupOnExit = 2;  // SIGKILL the step's group before reaping its leader
inline constexpr uint32_t kHasStdin = 4;
inline constexpr uint32_t kHasStdout = 8;
inline constexpr uint32_t kHasStderr = 16;

// The spawner's messages: one or more records, batched when several are
// ready at once.
enum RecordType : uint32_t {
  kHello = 1,    // at start: value = kVersion, pid = the spawner's
  kStarted = 2,  // id = the request's; pid, or pid -1 and value = the errno
  kExited = 3,   // pid reaped: value = wait status; cpu and peak RSS from wait4
};
struct Record {
  uint32_t type = 0;
  uint32_t id = 0;
  int32_t pid = 0;
  int32_t value = 0;
  int64_t cpu_ns = 0;
  int64_t max_rss_bytes = 0;
};

// Records in one message at most (the exits that are ready at once).
inline constexpr int kMaxRecords = 128;
// The largest start request either end handles; a bigger command is forked
// by mlpipe itself.
inline constexpr uint32_t kMaxRequestBytes = 1u << 20;

}  // namespace mlpipe::exec::spawn_protocol
