#include "mlpipe/base/bearer_token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mlpipe {
namespace {

TEST(BearerTokenTest, CreatesAPrivateTokenOnceAndReadsItBack) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("mlpipe_token_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/token";
  auto made = LoadOrCreateToken(path);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_EQ(made->size(), 64u);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(*LoadOrCreateToken(path), *made);  // read back, not made again
  chmod(path.c_str(), 0644);
  EXPECT_EQ(LoadOrCreateToken(path).status().code(), StatusCode::kInvalidArgument);  // others may read it
  std::filesystem::remove_all(dir);
}

TEST(BearerTokenTest, MatchesOnlyTheBearerFormOfTheTokenAndKnowsLoopback) {
  EXPECT_TRUE(TokenMatches("Bearer abc", "abc"));
  EXPECT_FALSE(TokenMatches("Bearer abd", "abc"));
  EXPECT_FALSE(TokenMatches("abc", "abc"));
  EXPECT_FALSE(TokenMatches("Bearer abcd", "abc"));
  EXPECT_FALSE(TokenMatches("", "abc"));
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.7"));
}

}  // namespace
}  // namespace mlpipe
