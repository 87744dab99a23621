// End-to-end: artifacts, versions, lineage, gc and verify.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

TEST(ArtifactsE2ETest, VersionsGrowOnlyWhenContentChanges) {
  Project p("versions");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml", "-p", "repeat=4"}).exit_code, 0);
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml", "--no-cache"}).exit_code, 0);  // same content as run 1
  auto r = p.Mlpipe({"artifacts", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto arts = nlohmann::json::parse(r.out);
  int generate_versions = 0;
  for (const auto& a : arts) {
    if (a["name"] == "textstats.generate.text") ++generate_versions;
  }
  EXPECT_EQ(generate_versions, 2) << r.out;
}

TEST(ArtifactsE2ETest, LineageListsEveryUpstreamStepAndSource) {
  Project p("lineage");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  auto r = p.Mlpipe({"artifacts", "lineage", "textstats.merge.merged"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "merge")) << r.out;
  EXPECT_TRUE(Contains(r.out, "generate")) << r.out;
  EXPECT_TRUE(Contains(r.out, "textstats.generate.text:v1")) << r.out;
  EXPECT_TRUE(Contains(r.out, "data/extra.txt")) << r.out;
  auto j = p.Mlpipe({"artifacts", "lineage", "textstats.merge.merged", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NO_THROW(nlohmann::json::parse(j.out));
  // Downstream of the generated text: count and merge.
  auto down = p.Mlpipe({"artifacts", "lineage", "textstats.generate.text", "--downstream"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_TRUE(Contains(down.out, "textstats.count.counts")) << down.out;
  EXPECT_TRUE(Contains(down.out, "textstats.merge.merged")) << down.out;
}

TEST(ArtifactsE2ETest, VerifyDetectsDamage) {
  Project p("verify");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  EXPECT_EQ(p.Mlpipe({"artifacts", "verify"}).exit_code, 0);
  auto show = nlohmann::json::parse(p.Mlpipe({"artifacts", "show", "textstats.generate.text", "--json"}).out);
  std::string path = show["path"];
  ASSERT_TRUE(std::filesystem::exists(path)) << show.dump();
  Shell("chmod u+w '" + path + "' && echo damage >> '" + path + "'");
  auto v = p.Mlpipe({"artifacts", "verify"});
  EXPECT_EQ(v.exit_code, 1);
  EXPECT_TRUE(Contains(v.out + v.err, show["digest"].get<std::string>().substr(7, 12))) << v.out << v.err;
}

TEST(ArtifactsE2ETest, GcFreesDeletedRunsObjectsOnly) {
  Project p("gc");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml", "-p", "repeat=7"}).exit_code, 0);  // run 1
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);                    // run 2
  auto old = nlohmann::json::parse(
      p.Mlpipe({"artifacts", "show", "textstats.generate.text:v1", "--json"}).out);
  auto kept = nlohmann::json::parse(
      p.Mlpipe({"artifacts", "show", "textstats.generate.text:v2", "--json"}).out);
  ASSERT_EQ(p.Mlpipe({"runs", "delete", "1"}).exit_code, 0);
  auto dry = p.Mlpipe({"artifacts", "gc", "--dry-run", "--keep-versions", "0"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_TRUE(std::filesystem::exists(old["path"].get<std::string>()));
  auto gc = p.Mlpipe({"artifacts", "gc", "--keep-versions", "0"});
  ASSERT_EQ(gc.exit_code, 0) << gc.err;
  EXPECT_FALSE(std::filesystem::exists(old["path"].get<std::string>())) << gc.out;
  EXPECT_TRUE(std::filesystem::exists(kept["path"].get<std::string>())) << gc.out;
  EXPECT_EQ(p.Mlpipe({"artifacts", "verify"}).exit_code, 0);
  // The kept run is still fully cached; the deleted one's param value reruns and says why.
  auto again = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  EXPECT_EQ(FinalStates(ParseEvents(again.out))["generate"], "cached");
}

}  // namespace
}  // namespace mlpipe::e2e
