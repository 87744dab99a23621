// The sources: block: its defaults, every key, and each error with its
// file:line:column and hint.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlpipe/spec/loader.h"
#include "mlpipe/spec/test_util.h"

namespace mlpipe::spec {
namespace {

using ::testing::ElementsAre;

const char* kSourcesSteps = R"(pipeline: p
steps:
  s:
    run: echo hi
)";
// kSourcesSteps is 4 lines: sources: starts on line 5.

class SourcesSpecTest : public ::testing::Test {
 protected:
  LoadResult Load(const std::string& block) {
    return LoadPipelineString(std::string(kSourcesSteps) + block, "p.yaml", dir_.path());
  }
  std::vector<std::string> Errors(const std::string& block) {
    std::vector<std::string> out;
    for (const auto& d : Load(block).diagnostics) out.push_back(d.ToString());
    return out;
  }
  testing::TempDir dir_;
};

TEST_F(SourcesSpecTest, DefaultsStoreEverySourceWithAutoLinkUpTo10GiB) {
  auto r = Load("");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_TRUE(r.spec.sources.store);
  EXPECT_EQ(r.spec.sources.link, SourceLink::kAuto);
  EXPECT_EQ(r.spec.sources.max_size, int64_t{10} << 30);
  EXPECT_EQ(r.spec.sources.loc.line, 0);
}

TEST_F(SourcesSpecTest, ReadsEveryKey) {
  auto r = Load("sources:\n  store: false\n  link: hardlink\n  max_size: 512MiB\n");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_FALSE(r.spec.sources.store);
  EXPECT_EQ(r.spec.sources.link, SourceLink::kHardlink);
  EXPECT_EQ(r.spec.sources.max_size, int64_t{512} << 20);
  EXPECT_EQ(r.spec.sources.loc.line, 5);
  EXPECT_EQ(std::string(SourceLinkName(r.spec.sources.link)), "hardlink");
}

TEST_F(SourcesSpecTest, FlowMapWorks) {
  auto r = Load("sources: {link: copy}\n");
  ASSERT_TRUE(r.ok()) << r.ErrorText();
  EXPECT_TRUE(r.spec.sources.store);
  EXPECT_EQ(r.spec.sources.link, SourceLink::kCopy);
}

TEST_F(SourcesSpecTest, ReportsEachBadValueAtItsPlace) {
  EXPECT_THAT(
      Errors("sources:\n  link: hardlinks\n"),
      ElementsAre(
          "p.yaml:6:9: error: unknown link 'hardlinks' in sources:\n  hint: did you mean 'hardlink'?"));
  EXPECT_THAT(Errors("sources:\n  max_size: lots\n"),
              ElementsAre(::testing::StartsWith("p.yaml:6:13: error: max_size of sources: bad size 'lots'")));
  EXPECT_THAT(Errors("sources:\n  stor: false\n"),
              ElementsAre(::testing::StartsWith("p.yaml:6:3: error: unknown key 'stor'")));
  EXPECT_THAT(Errors("sources: yes\n"),
              ElementsAre(::testing::StartsWith("p.yaml:5:10: error: sources: must be a map")));
}

}  // namespace
}  // namespace mlpipe::spec
