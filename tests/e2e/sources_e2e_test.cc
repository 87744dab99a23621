// End-to-end: sources stored and versioned like step outputs, restored by
// `mlpipe checkout`; damaged objects never reused; verify finding what
// metadata names but the store lacks, and --repair.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/events.h"

namespace mlpipe::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json JsonOf(const CommandOutput& r) {
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  return json::parse(r.out, nullptr, false);
}

// Overwrites one byte in place (same size, same inode), as rot or a stray
// write would; `keep_mtime` also puts the file's mtime back, as rot would.
void FlipByte(const std::string& path, bool keep_mtime = false) {
  struct stat before {};
  ASSERT_EQ(::stat(path.c_str(), &before), 0);
  ::chmod(path.c_str(), 0644);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.good()) << path;
    char c = 0;
    f.read(&c, 1);
    f.seekp(0);
    c = static_cast<char>(c ^ 0x20);
    f.write(&c, 1);
  }
  ::chmod(path.c_str(), 0444);
  if (keep_mtime) {
    struct timespec ts[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), ts, 0), 0);
  }
}

std::string PathOf(const Project& p, const std::string& ref) {
  return JsonOf(p.Mlpipe({"artifacts", "show", ref, "--json"}))["path"];
}

TEST(SourcesE2ETest, AnEditedSourceKeepsEveryVersionAndCatShowsIt) {
  Project p("sources_versions");
  p.CopyFromRepo("examples/textstats", ".");
  const std::string v1_text = p.Read("data/extra.txt");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  { std::ofstream(p.Path("data/extra.txt"), std::ios::app) << "one more line\n"; }  // in place
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);

  auto list = JsonOf(p.Mlpipe({"artifacts", "list", "textstats.source.", "--json"}));
  ASSERT_EQ(list.size(), 2u) << list.dump();
  auto cat1 = p.Mlpipe({"artifacts", "cat", "textstats.source.data/extra.txt:v1"});
  ASSERT_EQ(cat1.exit_code, 0) << cat1.err;
  EXPECT_EQ(cat1.out, v1_text);
  auto cat2 = p.Mlpipe({"artifacts", "cat", "textstats.source.data/extra.txt:v2"});
  EXPECT_EQ(cat2.out, v1_text + "one more line\n");
  auto show = JsonOf(p.Mlpipe({"artifacts", "show", "textstats.source.data/extra.txt:v1", "--json"}));
  EXPECT_TRUE(show["stored"].get<bool>()) << show.dump();
  EXPECT_EQ(show["type"], "source");
  // Lineage names the version read.
  auto lineage = p.Mlpipe({"artifacts", "lineage", "textstats.merge.merged"});
  EXPECT_TRUE(Contains(lineage.out, "textstats.source.data/extra.txt:v2")) << lineage.out;
  auto old = p.Mlpipe({"artifacts", "lineage", "textstats.merge.merged:v1"});
  EXPECT_TRUE(Contains(old.out, "textstats.source.data/extra.txt:v1")) << old.out;
}

TEST(SourcesE2ETest, CheckoutRestoresExactlyTheInputsARunRead) {
  Project p("sources_checkout");
  p.CopyFromRepo("examples/textstats", ".");
  const std::string v1_text = p.Read("data/extra.txt");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);  // run 1
  p.Write("data/extra.txt", "rewritten\n");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);  // run 2

  // Elsewhere: the layout of the pipeline folder.
  auto to = p.Mlpipe({"checkout", "1", "--to", p.Path("restored")});
  ASSERT_EQ(to.exit_code, 0) << to.out << to.err;
  EXPECT_EQ(p.Read("restored/data/extra.txt"), v1_text);
  EXPECT_TRUE(Contains(to.out, "textstats.source.data/extra.txt:v1")) << to.out;
  // In place: run 2's content is stored, so it may be replaced.
  auto back = p.Mlpipe({"checkout", "1"});
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
  EXPECT_EQ(p.Read("data/extra.txt"), v1_text);
  // The restored file is the user's again: writable, and a rerun is cached as run 1 was.
  EXPECT_EQ(::access(p.Path("data/extra.txt").c_str(), W_OK), 0);
  auto rerun = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  EXPECT_EQ(FinalStates(ParseEvents(rerun.out))["merge"], "cached") << rerun.out;
  // A checkout that is already in place changes nothing.
  auto same = p.Mlpipe({"checkout", "1"});
  EXPECT_TRUE(Contains(same.out, "unchanged")) << same.out;
}

TEST(SourcesE2ETest, CheckoutRefusesToOverwriteWorkStoredNowhere) {
  Project p("sources_checkout_refuse");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  p.Write("data/extra.txt", "unsaved work\n");  // no run read it: stored nowhere
  auto refused = p.Mlpipe({"checkout", "1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(Contains(refused.err, "stored nowhere")) << refused.err;
  EXPECT_EQ(p.Read("data/extra.txt"), "unsaved work\n");
  auto dry = p.Mlpipe({"checkout", "1", "--dry-run", "--json"});
  auto plan = JsonOf(dry);
  EXPECT_EQ(plan["sources"][0]["action"], "overwrite") << plan.dump();
  ASSERT_EQ(p.Mlpipe({"checkout", "1", "--force"}).exit_code, 0);
  EXPECT_NE(p.Read("data/extra.txt"), "unsaved work\n");
  EXPECT_EQ(p.Mlpipe({"checkout", "99"}).exit_code, 2);
}

TEST(SourcesE2ETest, FolderSourcesAreStoredAndRestoredWhole) {
  Project p("sources_folder");
  p.Write("data/raw/a.csv", "x\n1\n");
  p.Write("data/raw/sub/b.csv", "x\n2\n");
  p.Write("pipeline.yaml", R"(pipeline: folders
steps:
  count:
    run: [sh, -c, "cat $0/a.csv $0/sub/b.csv > $1", "${inputs.raw}", "${outputs.all}"]
    inputs: {raw: data/raw/}
    outputs: {all: dataset}
)");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  p.Write("data/raw/a.csv", "x\n10\n");
  p.Write("data/raw/extra.csv", "new file\n");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  ASSERT_EQ(p.Mlpipe({"checkout", "1"}).exit_code, 0);
  EXPECT_EQ(p.Read("data/raw/a.csv"), "x\n1\n");
  EXPECT_EQ(p.Read("data/raw/sub/b.csv"), "x\n2\n");
  EXPECT_FALSE(fs::exists(p.Path("data/raw/extra.csv"))) << "a checkout restores the folder exactly";
}

TEST(SourcesE2ETest, StoreFalseWarnsAndSaysSoLater) {
  Project p("sources_store_false");
  p.CopyFromRepo("examples/textstats", ".");
  p.Write("pipeline.yaml", p.Read("pipeline.yaml") + "sources: {store: false}\n");
  auto run = p.Mlpipe({"run", "pipeline.yaml"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.err, "warning")) << run.err;
  EXPECT_TRUE(Contains(run.err, "cannot be restored")) << run.err;
  auto show = JsonOf(p.Mlpipe({"artifacts", "show", "textstats.source.data/extra.txt", "--json"}));
  EXPECT_FALSE(show["stored"].get<bool>());
  EXPECT_TRUE(Contains(show["absent"].get<std::string>(), "store: false")) << show.dump();
  auto out = p.Mlpipe({"checkout", "1", "--to", p.Path("r")});
  EXPECT_EQ(out.exit_code, 1);
  EXPECT_TRUE(Contains(out.err, "store: false")) << out.err;
  EXPECT_EQ(p.Mlpipe({"artifacts", "verify"}).exit_code, 0) << "a source never stored is not a lost object";
}

TEST(SourcesE2ETest, SourceOverMaxSizeIsNotStoredWithAWarning) {
  Project p("sources_max_size");
  p.CopyFromRepo("examples/textstats", ".");
  p.Write("pipeline.yaml", p.Read("pipeline.yaml") + "sources:\n  max_size: 4\n");
  auto run = p.Mlpipe({"run", "pipeline.yaml"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(Contains(run.err, "max_size")) << run.err;
  auto show = JsonOf(p.Mlpipe({"artifacts", "show", "textstats.source.data/extra.txt", "--json"}));
  EXPECT_FALSE(show["stored"].get<bool>());
}

TEST(SourcesE2ETest, HardlinkModeSharesTheInodeAndReadOnlyProtectsIt) {
  Project p("sources_hardlink");
  p.CopyFromRepo("examples/textstats", ".");
  p.Write("pipeline.yaml", p.Read("pipeline.yaml") + "sources: {link: hardlink}\n");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  struct stat src {
  }, blob{};
  ASSERT_EQ(::stat(p.Path("data/extra.txt").c_str(), &src), 0);
  ASSERT_EQ(::stat(PathOf(p, "textstats.source.data/extra.txt").c_str(), &blob), 0);
  EXPECT_EQ(src.st_ino, blob.st_ino);
  EXPECT_EQ(src.st_mode & 0222, 0u);
  EXPECT_EQ(p.Mlpipe({"artifacts", "verify"}).exit_code, 0);
}

TEST(SourcesE2ETest, AFlippedByteInAStoredOutputIsNeverReused) {
  Project p("damage_reuse");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  const std::string blob = PathOf(p, "textstats.generate.text");
  FlipByte(blob);
  auto again = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto events = ParseEvents(again.out);
  EXPECT_EQ(FinalStates(events)["generate"], "succeeded") << again.out;
  EXPECT_TRUE(Contains(ReasonOf(events, "generate"), "damaged")) << ReasonOf(events, "generate");
  // Recomputed and whole again; the damaged copy is in quarantine, on record.
  EXPECT_EQ(p.Mlpipe({"artifacts", "verify"}).exit_code, 0);
  auto cat = p.Mlpipe({"artifacts", "cat", "textstats.generate.text"});
  EXPECT_EQ(cat.exit_code, 0);
  EXPECT_TRUE(Contains(cat.out, "hello")) << cat.out;
}

TEST(SourcesE2ETest, NoCacheRerunReplacesADamagedCopyThatKeptItsStamp) {
  Project p("damage_no_cache");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  const std::string blob = PathOf(p, "textstats.generate.text");
  const std::string good = p.Mlpipe({"artifacts", "cat", "textstats.generate.text"}).out;
  FlipByte(blob, /*keep_mtime=*/true);  // rot: one stat cannot tell
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml", "--no-cache"}).exit_code, 0);
  EXPECT_EQ(p.Mlpipe({"artifacts", "cat", "textstats.generate.text"}).out, good);
  EXPECT_EQ(p.Mlpipe({"artifacts", "verify"}).exit_code, 0);
}

TEST(SourcesE2ETest, VerifyReportsWhatMetadataNamesButTheStoreLacks) {
  Project p("verify_missing");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  const std::string blob = PathOf(p, "textstats.count.counts");
  fs::remove(blob);
  auto v = p.Mlpipe({"artifacts", "verify", "--json"});
  EXPECT_EQ(v.exit_code, 1);
  auto report = json::parse(v.out);
  ASSERT_EQ(report["problems"].size(), 1u) << v.out;
  EXPECT_EQ(report["problems"][0]["kind"], "missing");
  EXPECT_TRUE(Contains(report["problems"][0]["names"].get<std::string>(), "textstats.count.counts:v1"))
      << v.out;
  auto show = JsonOf(p.Mlpipe({"artifacts", "show", "textstats.count.counts", "--json"}));
  EXPECT_TRUE(Contains(show["absent"].get<std::string>(), "deleted outside mlpipe")) << show.dump();
}

TEST(SourcesE2ETest, VerifyReportsAMissingFolderManifest) {
  Project p("verify_manifest");
  p.Write("pipeline.yaml", R"(pipeline: folder_out
steps:
  make:
    run: [sh, -c, "mkdir $0 && echo a > $0/a.txt", "${outputs.dir}"]
    outputs: {dir: dataset}
)");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  const std::string digest =
      JsonOf(p.Mlpipe({"artifacts", "show", "folder_out.make.dir", "--json"}))["digest"];
  const std::string hex = digest.substr(7);
  fs::remove(p.Path(".mlpipe/manifests/sha256/" + hex.substr(0, 2) + "/" + hex.substr(2)));
  auto v = p.Mlpipe({"artifacts", "verify"});
  EXPECT_EQ(v.exit_code, 1) << v.out;
  EXPECT_TRUE(Contains(v.out, "MISSING " + digest)) << v.out;
}

TEST(SourcesE2ETest, GarbageCollectedObjectsAreNotReportedMissingAndSaySo) {
  Project p("verify_gc");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml", "-p", "repeat=7"}).exit_code, 0);
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  ASSERT_EQ(p.Mlpipe({"runs", "delete", "1"}).exit_code, 0);
  ASSERT_EQ(p.Mlpipe({"artifacts", "gc", "--keep-versions", "0"}).exit_code, 0);
  EXPECT_EQ(p.Mlpipe({"artifacts", "verify"}).exit_code, 0);
  auto show = p.Mlpipe({"artifacts", "show", "textstats.generate.text:v1"});
  EXPECT_TRUE(Contains(show.out, "garbage-collected on")) << show.out;
}

TEST(SourcesE2ETest, VerifyRepairQuarantinesAndTheNextRunRecomputes) {
  Project p("verify_repair");
  p.CopyFromRepo("examples/textstats", ".");
  ASSERT_EQ(p.Mlpipe({"run", "pipeline.yaml"}).exit_code, 0);
  const std::string blob = PathOf(p, "textstats.merge.merged");
  FlipByte(blob, /*keep_mtime=*/true);
  auto report = p.Mlpipe({"artifacts", "verify"});
  EXPECT_EQ(report.exit_code, 1);
  EXPECT_TRUE(Contains(report.out, "DAMAGED")) << report.out;
  auto repair = p.Mlpipe({"artifacts", "verify", "--repair"});
  EXPECT_TRUE(Contains(repair.out, "quarantined")) << repair.out;
  EXPECT_TRUE(Contains(repair.out, "dropped the cache entr")) << repair.out;
  EXPECT_EQ(p.Mlpipe({"artifacts", "verify"}).exit_code, 0)
      << "after repair the store holds only good objects";
  auto show = p.Mlpipe({"artifacts", "show", "textstats.merge.merged"});
  EXPECT_TRUE(Contains(show.out, "quarantined as damaged")) << show.out;
  auto rerun = p.Mlpipe({"run", "pipeline.yaml", "--json"});
  auto events = ParseEvents(rerun.out);
  EXPECT_EQ(FinalStates(events)["merge"], "succeeded") << rerun.out;
  EXPECT_EQ(FinalStates(events)["generate"], "cached") << rerun.out;
  EXPECT_EQ(p.Mlpipe({"artifacts", "verify"}).exit_code, 0);
}

}  // namespace
}  // namespace mlpipe::e2e
