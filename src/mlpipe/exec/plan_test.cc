#include "mlpipe/exec/plan.h"
#include "mlpipe/exec/test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlpipe::exec {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// a -> b -> d, a -> c -> d, e independent.
JobGraph Diamond() { return Graph({{"a", {}}, {"b", {0}}, {"c", {0}}, {"d", {1, 2}}, {"e", {}}}); }

TEST(PlanTest, RootsStartReady) {
  JobGraph g = Diamond();
  Plan plan(g, false);
  EXPECT_THAT(plan.Ready(), ElementsAre(0, 4));
  EXPECT_EQ(plan.state(1), JobState::kPending);
  auto t = plan.TakeTransitions();
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].state, JobState::kReady);
  EXPECT_THAT(plan.TakeTransitions(), IsEmpty());
}

TEST(PlanTest, SuccessUnlocksDependentsOnlyWhenAllDepsDone) {
  JobGraph g = Diamond();
  Plan plan(g, false);
  EXPECT_EQ(plan.StartAttempt(0), 1);
  EXPECT_EQ(plan.running_count(), 1);
  plan.Succeeded(0);
  EXPECT_THAT(plan.Ready(), ElementsAre(1, 2, 4));
  plan.StartAttempt(1);
  plan.Succeeded(1);
  EXPECT_EQ(plan.state(3), JobState::kPending);
  plan.StartAttempt(2);
  plan.Cached(2, "cache hit");
  EXPECT_EQ(plan.state(3), JobState::kReady);
  EXPECT_EQ(plan.reason(2), "cache hit");
}

TEST(PlanTest, DoneWhenEveryJobIsFinal) {
  JobGraph g = Graph({{"a", {}}, {"b", {0}}});
  Plan plan(g, false);
  EXPECT_FALSE(plan.Done());
  plan.Cached(0, "cached");
  plan.StartAttempt(1);
  EXPECT_FALSE(plan.Done());
  plan.Succeeded(1);
  EXPECT_TRUE(plan.Done());
}

TEST(PlanTest, FailFastSkipsDownstreamAndCancelsTheRest) {
  JobGraph g = Diamond();
  Plan plan(g, /*keep_going=*/false);
  plan.StartAttempt(0);
  plan.StartAttempt(4);
  plan.Failed(0, "exit 1");
  EXPECT_TRUE(plan.stopping());
  EXPECT_EQ(plan.state(0), JobState::kFailed);
  EXPECT_EQ(plan.reason(0), "exit 1");
  for (int j : {1, 2, 3}) {
    EXPECT_EQ(plan.state(j), JobState::kSkipped) << j;
    EXPECT_EQ(plan.reason(j), "upstream a failed");
  }
  // The running job is left to finish.
  EXPECT_EQ(plan.state(4), JobState::kRunning);
  EXPECT_FALSE(plan.Done());
  plan.Succeeded(4);
  EXPECT_TRUE(plan.Done());
}

TEST(PlanTest, FailFastCancelsNotYetStartedIndependentJobs) {
  JobGraph g = Diamond();
  Plan plan(g, false);
  plan.StartAttempt(0);
  plan.Failed(0, "exit 2");
  EXPECT_EQ(plan.state(4), JobState::kCancelled);
  EXPECT_EQ(plan.reason(4), "run stopped: a failed");
  EXPECT_THAT(plan.Ready(), IsEmpty());
  EXPECT_TRUE(plan.Done());
}

TEST(PlanTest, KeepGoingSkipsOnlyDownstreamOfFailure) {
  JobGraph g = Diamond();
  Plan plan(g, /*keep_going=*/true);
  plan.StartAttempt(0);
  plan.Succeeded(0);
  plan.StartAttempt(1);
  plan.Failed(1, "exit 1");
  EXPECT_FALSE(plan.stopping());
  EXPECT_EQ(plan.state(3), JobState::kSkipped);
  EXPECT_EQ(plan.reason(3), "upstream b failed");
  EXPECT_THAT(plan.Ready(), ElementsAre(2, 4));
  plan.StartAttempt(2);
  plan.Succeeded(2);
  // d stays skipped even though its other dependency succeeded.
  EXPECT_EQ(plan.state(3), JobState::kSkipped);
}

TEST(PlanTest, TransitiveSkipNamesTheFailedJob) {
  JobGraph g = Graph({{"a", {}}, {"b", {0}}, {"c", {1}}});
  Plan plan(g, true);
  plan.StartAttempt(0);
  plan.Failed(0, "exit 1");
  EXPECT_EQ(plan.reason(2), "upstream a failed");
}

TEST(PlanTest, RetryWaitsForBackoffThenBecomesReady) {
  JobGraph g = Graph({{"a", {}}});
  g.jobs[0].max_attempts = 3;
  g.jobs[0].backoff_ns = 100;
  Plan plan(g, false);
  plan.StartAttempt(0);
  EXPECT_TRUE(plan.AttemptFailed(0, /*now=*/1000, "exit 1"));
  EXPECT_EQ(plan.state(0), JobState::kWaitingRetry);
  EXPECT_EQ(plan.running_count(), 0);
  EXPECT_EQ(plan.NextRetryAt(), 1100);
  plan.PromoteDueRetries(1099);
  EXPECT_EQ(plan.state(0), JobState::kWaitingRetry);
  plan.PromoteDueRetries(1100);
  EXPECT_EQ(plan.state(0), JobState::kReady);
  EXPECT_EQ(plan.StartAttempt(0), 2);
  EXPECT_TRUE(plan.AttemptFailed(0, 2000, "exit 1"));
  EXPECT_EQ(plan.NextRetryAt(), 2200);  // doubled
  plan.PromoteDueRetries(2200);
  EXPECT_EQ(plan.StartAttempt(0), 3);
  EXPECT_FALSE(plan.AttemptFailed(0, 3000, "exit 1"));
  EXPECT_EQ(plan.state(0), JobState::kFailed);
  EXPECT_EQ(plan.attempts(0), 3);
}

TEST(PlanTest, RetriesOfSeveralJobsArePromotedEachAtItsTime) {
  JobGraph g = Graph({{"a", {}}, {"b", {}}, {"c", {}}});
  g.jobs[0].max_attempts = g.jobs[2].max_attempts = 2;
  g.jobs[0].backoff_ns = 500;
  g.jobs[2].backoff_ns = 100;
  Plan plan(g, /*keep_going=*/true);
  EXPECT_FALSE(plan.NextRetryAt().has_value());
  for (int j : {0, 1, 2}) plan.StartAttempt(j);
  EXPECT_TRUE(plan.AttemptFailed(0, 1000, "exit 1"));  // retry at 1500
  EXPECT_TRUE(plan.AttemptFailed(2, 1000, "exit 1"));  // retry at 1100
  EXPECT_EQ(plan.NextRetryAt(), 1100);
  plan.PromoteDueRetries(1200);
  EXPECT_EQ(plan.state(2), JobState::kReady);
  EXPECT_EQ(plan.state(0), JobState::kWaitingRetry);
  EXPECT_EQ(plan.NextRetryAt(), 1500);
  plan.PromoteDueRetries(1500);
  EXPECT_EQ(plan.state(0), JobState::kReady);
  EXPECT_FALSE(plan.NextRetryAt().has_value());
  plan.Succeeded(1);
  EXPECT_THAT(plan.Ready(), ElementsAre(0, 2));
}

TEST(PlanTest, NextReadyWalksTheReadyJobsInIndexOrder) {
  JobGraph g = Diamond();  // a, e ready; b, c after a; d after b and c
  Plan plan(g, false);
  EXPECT_EQ(plan.NextReady(-1), 0);
  EXPECT_EQ(plan.NextReady(0), 4);
  EXPECT_EQ(plan.NextReady(4), -1);
  plan.StartAttempt(0);
  plan.Succeeded(0);
  std::vector<int> walked;
  for (int j = plan.NextReady(-1); j >= 0; j = plan.NextReady(j)) walked.push_back(j);
  EXPECT_THAT(walked, ElementsAre(1, 2, 4));
  // Starting a job while walking does not lose the ones after it.
  walked.clear();
  for (int j = plan.NextReady(-1); j >= 0; j = plan.NextReady(j)) {
    walked.push_back(j);
    plan.StartAttempt(j);
  }
  EXPECT_THAT(walked, ElementsAre(1, 2, 4));
  EXPECT_EQ(plan.NextReady(-1), -1);
}

TEST(PlanTest, NoRetryOnceStopping) {
  JobGraph g = Graph({{"a", {}}, {"b", {}}});
  g.jobs[1].max_attempts = 5;
  Plan plan(g, false);
  plan.StartAttempt(0);
  plan.StartAttempt(1);
  plan.Failed(0, "exit 1");
  EXPECT_FALSE(plan.AttemptFailed(1, 0, "exit 1"));
  EXPECT_EQ(plan.state(1), JobState::kFailed);
}

TEST(PlanTest, FailFastCancelsJobWaitingForRetry) {
  JobGraph g = Graph({{"a", {}}, {"b", {}}});
  g.jobs[1].max_attempts = 5;
  Plan plan(g, false);
  plan.StartAttempt(0);
  plan.StartAttempt(1);
  EXPECT_TRUE(plan.AttemptFailed(1, 0, "exit 1"));
  plan.Failed(0, "exit 1");
  EXPECT_EQ(plan.state(1), JobState::kCancelled);
  EXPECT_FALSE(plan.NextRetryAt().has_value());
}

TEST(PlanTest, StopCancelsEverythingNotStarted) {
  JobGraph g = Diamond();
  Plan plan(g, true);
  plan.StartAttempt(0);
  plan.TakeTransitions();
  plan.Stop("interrupted by SIGINT");
  EXPECT_EQ(plan.state(0), JobState::kRunning);
  for (int j : {1, 2, 3, 4}) EXPECT_EQ(plan.state(j), JobState::kCancelled);
  EXPECT_EQ(plan.reason(4), "interrupted by SIGINT");
  EXPECT_EQ(plan.TakeTransitions().size(), 4u);
  plan.Cancelled(0, "interrupted by SIGINT");
  EXPECT_TRUE(plan.Done());
}

TEST(PlanTest, TransitionsRecordEveryChangeInOrder) {
  JobGraph g = Graph({{"a", {}}, {"b", {0}}});
  Plan plan(g, false);
  plan.StartAttempt(0);
  plan.Succeeded(0);
  auto t = plan.TakeTransitions();
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].state, JobState::kReady);
  EXPECT_EQ(t[1].state, JobState::kRunning);
  EXPECT_EQ(t[2].state, JobState::kSucceeded);
  EXPECT_EQ(t[3].job, 1);
  EXPECT_EQ(t[3].state, JobState::kReady);
}

TEST(PlanTest, RetryDelaySaturates) {
  EXPECT_EQ(RetryDelay(10, 1), 10);
  EXPECT_EQ(RetryDelay(10, 4), 80);
  EXPECT_EQ(RetryDelay(0, 4), 0);
  EXPECT_EQ(RetryDelay(1'000'000'000, 200), std::numeric_limits<int64_t>::max());
}

}  // namespace
}  // namespace mlpipe::exec
