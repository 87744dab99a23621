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
  auto old =
      nlohmann::json::parse(p.Mlpipe({"artifacts", "show", "textstats.generate.text:v1", "--json"}).out);
  auto kept =
      nlohmann::json::parse(p.Mlpipe({"artifacts", "show", "textstats.generate.text:v2", "--json"}).out);
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

// Damage to the WAL (where the newest metadata lives until a checkpoint) used
// to empty the metadata without a word: SQLite opens the database as of the
// last checkpoint. verify notices a store of objects that no metadata names.
size_t CountStoreFiles(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

TEST(ArtifactsE2ETest, VerifyReportsMetadataLostToADamagedWal) {
  Project p("wal_damage");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  auto clean = p.Mlpipe({"artifacts", "verify"});
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_FALSE(Contains(clean.out, "METADATA")) << clean.out;
  const std::string wal = p.Path(".mlpipe/metadata.db-wal");
  ASSERT_GT(std::filesystem::file_size(wal), 32u) << "the run left no WAL to damage";
  // Garbage over the WAL header: its checksum no longer matches.
  ASSERT_EQ(Shell("printf 'garbage-garbage-garbage-garbage-' | dd of='" + wal +
                  "' bs=1 seek=0 conv=notrunc status=none"),
            0);
  auto runs = p.Mlpipe({"runs", "list", "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  EXPECT_EQ(nlohmann::json::parse(runs.out).size(), 0u) << runs.out;  // what the damage does
  auto verify = p.Mlpipe({"artifacts", "verify"});
  EXPECT_EQ(verify.exit_code, 1) << verify.out << verify.err;
  EXPECT_TRUE(Contains(verify.out, "the metadata was lost")) << verify.out;
  EXPECT_TRUE(Contains(verify.out, "from a backup")) << verify.out;
  auto json = p.Mlpipe({"artifacts", "verify", "--json"});
  auto j = nlohmann::json::parse(json.out);
  EXPECT_FALSE(j["ok"].get<bool>());
  EXPECT_EQ(j["metadata_problems"].size(), 1u) << json.out;
  EXPECT_GT(j["unnamed_objects"].get<int>(), 0) << json.out;
  // gc would remove every object: it refuses, and removes nothing.
  const auto objects_before = CountStoreFiles(p.Path(".mlpipe/objects"));
  auto gc = p.Mlpipe({"artifacts", "gc"});
  EXPECT_EQ(gc.exit_code, 1) << gc.out << gc.err;
  EXPECT_TRUE(Contains(gc.err, "the metadata was probably lost")) << gc.err;
  EXPECT_TRUE(Contains(gc.err, "--force")) << gc.err;
  EXPECT_EQ(CountStoreFiles(p.Path(".mlpipe/objects")), objects_before);
  EXPECT_GT(objects_before, 0u);
}

// Deleting every run is not lost metadata: gc then frees what they made.
TEST(ArtifactsE2ETest, GcAfterEveryRunIsDeletedFreesTheirObjects) {
  Project p("all_deleted");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  ASSERT_EQ(p.Mlpipe({"runs", "delete", "1"}).exit_code, 0);
  auto gc = p.Mlpipe({"artifacts", "gc", "--keep-versions", "0"});
  EXPECT_EQ(gc.exit_code, 0) << gc.out << gc.err;
  EXPECT_TRUE(Contains(gc.out, "removed")) << gc.out;
}

}  // namespace
}  // namespace mlpipe::e2e
