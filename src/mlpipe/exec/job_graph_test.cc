#include "mlpipe/exec/job_graph.h"
#include "mlpipe/exec/test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mlpipe::exec {
namespace {

using ::testing::HasSubstr;

TEST(JobGraphTest, AcceptsDiamond) {
  EXPECT_TRUE(ValidateJobGraph(Graph({{"a", {}}, {"b", {0}}, {"c", {0}}, {"d", {1, 2}}})).ok());
}

TEST(JobGraphTest, AcceptsEmptyGraph) { EXPECT_TRUE(ValidateJobGraph(JobGraph{}).ok()); }

TEST(JobGraphTest, RejectsOutOfRangeDependency) {
  Status s = ValidateJobGraph(Graph({{"a", {}}, {"b", {5}}}));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("'b'"));
}

TEST(JobGraphTest, RejectsSelfDependency) {
  Status s = ValidateJobGraph(Graph({{"a", {0}}}));
  EXPECT_THAT(s.message(), HasSubstr("depends on itself"));
}

TEST(JobGraphTest, RejectsCycle) {
  Status s = ValidateJobGraph(Graph({{"a", {}}, {"b", {0, 2}}, {"c", {1}}}));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("cycle"));
}

}  // namespace
}  // namespace mlpipe::exec
