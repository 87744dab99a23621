// DeploymentFollower: keeps a running server on the latest revision of its
// deployment. It polls a DeploymentFeed every interval on a thread of its
// own, and at once when asked (PollNow: POST /v2/deployments/NAME/reload,
// which a rollout controller calls right after it commits a change, so the
// poll is only the fallback), and hands a newer revision to `apply` (the
// server's ApplyDeployment). A revision whose apply failed is not retried by
// the timed poll (a model that fails to load would be loaded again every
// interval); a forced PollNow retries it, and a newer revision replaces it.
//
// Thread-safety: PollNow and the thread's polls are serialised; the
// accessors are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "mlpipe/base/status.h"
#include "mlpipe/serving/deployment_feed.h"

namespace mlpipe::serving {

// What one poll did.
struct FollowResult {
  int64_t revision = 0;         // the live revision after the poll
  bool changed = false;         // a newer revision went live
  int64_t failed_revision = 0;  // a newer revision that could not be applied, 0 = none
  Status error;                 // why: the feed's error or the apply's (the live revision keeps serving)
};

class DeploymentFollower {
 public:
  using ApplyFn = std::function<Status(DeploymentConfig config, int64_t revision)>;
  using LogFn = std::function<void(const std::string&)>;

  // `feed` is borrowed and must outlive the follower; `revision` is the live one.
  DeploymentFollower(DeploymentFeed* feed, int64_t revision, int64_t interval_ns, ApplyFn apply, LogFn log);
  ~DeploymentFollower();  // Stop
  DeploymentFollower(const DeploymentFollower&) = delete;
  DeploymentFollower& operator=(const DeploymentFollower&) = delete;

  // Start and Stop from one thread (the server's).
  void Start();
  void Stop();  // idempotent; waits for a poll in progress

  // Polls now and applies a newer revision. `forced` retries a revision that
  // failed before.
  FollowResult PollNow(bool forced);
  // The result of the latest poll (timed or not).
  FollowResult last() const;

 private:
  void Loop(std::stop_token stop);

  DeploymentFeed* const feed_;
  const int64_t interval_ns_;
  const ApplyFn apply_;
  const LogFn log_;

  std::mutex poll_mu_;     // one poll at a time
  mutable std::mutex mu_;  // guards last_
  FollowResult last_;
  std::jthread thread_;
};

}  // namespace mlpipe::serving
