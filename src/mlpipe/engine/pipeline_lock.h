// PipelineLock: one run of a pipeline at a time per workspace (runs of
// different pipelines proceed in parallel). An flock on
// .mlpipe/locks/pipeline-<name>.lock, released when the process exits, even
// by kill -9, so a crash never leaves a stale lock.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/store/layout.h"

namespace mlpipe::engine {

class PipelineLock {
 public:
  PipelineLock() = default;
  ~PipelineLock();
  PipelineLock(const PipelineLock&) = delete;
  PipelineLock& operator=(const PipelineLock&) = delete;

  // Takes the lock at `path`. If another process holds it, calls
  // `on_wait(holder_info)` once (holder_info is what the holder wrote: "pid
  // N, run M") and blocks until it is free.
  Status Acquire(const std::string& path, const std::function<void(const std::string&)>& on_wait);
  // Records who holds it, for the message another waiter prints.
  void SetHolderInfo(const std::string& info);

 private:
  int fd_ = -1;
};

// Takes `lock` for runs of `pipeline` in `ws`; while another run holds it,
// says so on `err` ("mlpipe: waiting for another run of pipeline 'P' to
// finish (pid N, run M)"). Returns whether it had to wait.
StatusOr<bool> LockPipeline(PipelineLock& lock, const store::Workspace& ws, const std::string& pipeline,
                            std::ostream& err);

}  // namespace mlpipe::engine
