// The workspace's locks: flocks on files under .mlpipe/locks/, released when
// the process exits, even by kill -9, so a crash never leaves a stale lock.
//
// - pipeline-<name>.lock (exclusive): one run of a pipeline at a time per
//   workspace; runs of different pipelines proceed in parallel.
// - workspace.lock: shared by everything that adds objects to the store or
//   makes metadata reference them (runs, `models register`), exclusive for
//   `artifacts gc`, which holds it across its snapshot of what is kept and
//   the removal, so that no run deduplicates against an object gc is about to
//   remove.
//
// Waiting for a lock watches the interrupt pipe (exec/interrupt.h): a caller
// that installed the interrupt handlers before locking gets Cancelled on
// SIGINT or SIGTERM while it waits, having changed nothing.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::engine {

enum class LockMode { kShared, kExclusive };

class FileLock {
 public:
  FileLock() = default;
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // Takes the lock at `path` in `mode`. If another process holds it in a
  // mode that conflicts, calls `on_wait(holder_info)` once (holder_info is
  // what an exclusive holder wrote, "pid N, run M", or "another process")
  // and, with `wait`, blocks until it is free; without, returns
  // FailedPrecondition "... is held by HOLDER". Returns Cancelled if an
  // interrupt arrives while waiting.
  Status Acquire(const std::string& path, LockMode mode,
                 const std::function<void(const std::string&)>& on_wait, bool wait = true);
  // Records who holds it (exclusive holders only: shared holders would
  // overwrite each other), for the message another waiter prints.
  void SetHolderInfo(const std::string& info);
  // Releases the lock (an exclusive holder first erases its holder info).
  void Release();
  bool held() const { return locked_; }

 private:
  int fd_ = -1;
  bool locked_ = false;
  LockMode mode_ = LockMode::kExclusive;
};

// Takes `lock` for runs of `pipeline` in `ws`; while another run holds it,
// says so on `err` ("mlpipe: waiting for another run of pipeline 'P' to
// finish (pid N, run M)"). Returns whether it had to wait.
StatusOr<bool> LockPipeline(FileLock& lock, const store::Workspace& ws, const std::string& pipeline,
                            std::ostream& err);

// Takes the workspace lock shared (a run, a registration); while `artifacts
// gc` holds it, says so on `err` and waits.
Status LockWorkspaceShared(FileLock& lock, const store::Workspace& ws, std::ostream& err);

}  // namespace mlpipe::engine
