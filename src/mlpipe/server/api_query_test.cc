#include "mlpipe/server/api_query.h"

#include <gtest/gtest.h>

namespace mlpipe::server {
namespace {

TEST(ApiQueryTest, PercentDecodingKeepsPlusInPathsAndMakesItASpaceInQueries) {
  EXPECT_EQ(*PercentDecode("a%2Fb%3av1+c", false), "a/b:v1+c");
  EXPECT_EQ(*PercentDecode("a%20b+c", true), "a b c");
  EXPECT_FALSE(PercentDecode("50%", false).ok());
  EXPECT_FALSE(PercentDecode("%g1", true).ok());
  EXPECT_FALSE(PercentDecode("%4", true).ok());
}

TEST(ApiQueryTest, PathSegmentsAreSplitBeforeDecodingSoAnEncodedSlashStaysInItsSegment) {
  auto s = PathSegments("/api/v1/artifacts/p.source.data%2Floans.csv%3Av2/content?x=1#top");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s,
            (std::vector<std::string>{"api", "v1", "artifacts", "p.source.data/loans.csv:v2", "content"}));
  EXPECT_EQ(*PathSegments("/api/v1/runs/"), (std::vector<std::string>{"api", "v1", "runs"}));
  EXPECT_FALSE(PathSegments("/api/v1/artifacts/%zz").ok());
}

TEST(ApiQueryTest, RepeatedKeysAndBareKeys) {
  auto q = QueryParams::FromTarget("/x?status=failed&status=cancelled&list&pipeline=a%26b&empty=");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->All("status"), (std::vector<std::string>{"failed", "cancelled"}));
  EXPECT_EQ(**q->One("pipeline"), "a&b");
  EXPECT_EQ(*q->Flag("list"), true);
  EXPECT_FALSE(q->One("status").ok());  // given twice where one is wanted
  EXPECT_EQ(*q->Text("missing", "dflt"), "dflt");
  EXPECT_EQ(**q->One("empty"), "");
}

TEST(ApiQueryTest, BadValuesNameTheParameterAndWhatIsAllowed) {
  auto q = QueryParams::FromTarget("/x?limit=10x&depth=-1&stream=both&lst=1&flag=maybe");
  ASSERT_TRUE(q.ok());
  Status limit = q->Int("limit", 50, 1, 1000).status();
  EXPECT_EQ(limit.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(limit.message().find("'limit' must be an integer from 1 to 1000, not '10x'"), std::string::npos);
  EXPECT_FALSE(q->Int("depth", 0, 0, 10).ok());
  Status stream = q->Choice("stream", "stdout", {"stdout", "stderr"}).status();
  EXPECT_NE(stream.message().find("'stream' must be one of stdout, stderr, not 'both'"), std::string::npos);
  Status unknown = q->CheckAllowed({"limit", "depth", "stream", "list", "flag"});
  EXPECT_NE(unknown.message().find("unknown parameter 'lst'; did you mean 'list'?"), std::string::npos);
  EXPECT_FALSE(q->Flag("flag").ok());
  EXPECT_EQ(*QueryParams::FromTarget("/x?limit=1000")->Int("limit", 50, 1, 1000), 1000);
}

}  // namespace
}  // namespace mlpipe::server
