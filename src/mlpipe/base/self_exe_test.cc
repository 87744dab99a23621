#include "mlpipe/base/self_exe.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace mlpipe {
namespace {

TEST(SelfExeTest, NamesTheRunningBinaryAndItsSiblings) {
  const std::string self = SelfExecutable();
  ASSERT_FALSE(self.empty());
  EXPECT_EQ(std::filesystem::path(self).filename(), "mlpipe_base_test");
  EXPECT_TRUE(std::filesystem::is_regular_file(self));
  EXPECT_EQ(SiblingExecutable("other"), (std::filesystem::path(self).parent_path() / "other").string());
}

}  // namespace
}  // namespace mlpipe
