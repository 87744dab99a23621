#include "mlpipe/serving/deployment_follower.h"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace mlpipe::serving {

DeploymentFollower::DeploymentFollower(DeploymentFeed* feed, int64_t revision, int64_t interval_ns,
                                       ApplyFn apply, LogFn log)
    : feed_(feed), interval_ns_(interval_ns), apply_(std::move(apply)), log_(std::move(log)) {
  last_.revision = revision;
}

DeploymentFollower::~DeploymentFollower() { Stop(); }

void DeploymentFollower::Start() {
  if (!thread_.joinable()) thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
}

void DeploymentFollower::Stop() {
  if (!thread_.joinable()) return;
  thread_.request_stop();
  thread_.join();
}

void DeploymentFollower::Loop(std::stop_token stop) {
  std::mutex sleep_mu;
  std::condition_variable_any sleep;  // woken only by the stop request
  std::unique_lock<std::mutex> lock(sleep_mu);
  for (;;) {
    sleep.wait_for(lock, stop, std::chrono::nanoseconds(interval_ns_), [] { return false; });
    if (stop.stop_requested()) return;
    PollNow(/*forced=*/false);
  }
}

FollowResult DeploymentFollower::last() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

FollowResult DeploymentFollower::PollNow(bool forced) {
  std::lock_guard<std::mutex> poll(poll_mu_);
  FollowResult r = last();
  r.changed = false;
  auto polled = feed_->Poll(r.revision);
  if (!polled.ok()) {
    // The record cannot be read now: say so once per distinct error.
    if (polled.status().ToString() != r.error.ToString()) {
      log_(fmt::format("serve: cannot read the deployment's record; revision {} keeps serving: {}",
                       r.revision, polled.status().ToString()));
    }
    r.error = polled.status();
  } else if (!polled->has_value()) {
    // Up to date; a failed newer revision stays reported until replaced.
    if (r.failed_revision == 0) r.error = OkStatus();
  } else {
    auto& [revision, config] = **polled;
    if (revision == r.failed_revision && !forced) {
      // Already tried: r keeps its error.
    } else {
      Status applied = apply_(std::move(config), revision);
      if (applied.ok()) {
        r.revision = revision;
        r.changed = true;
        r.failed_revision = 0;
        r.error = OkStatus();
      } else {
        r.failed_revision = revision;
        r.error = applied;
        log_(fmt::format("serve: deployment revision {} not applied; revision {} keeps serving: {}", revision,
                         r.revision, applied.ToString()));
      }
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_ = r;
  return r;
}

}  // namespace mlpipe::serving
