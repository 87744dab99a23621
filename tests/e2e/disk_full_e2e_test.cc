// End-to-end: a full disk, on a small real tmpfs holding the workspace. The
// run that fills it records how it ended (not left "running"), drops the
// partial output its failed step staged, and `runs delete` and `artifacts gc`
// work while the disk is full.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

// The workspace folder on its own 8 MiB tmpfs, unmounted at the end.
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir);
    mounted_ = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=8m") == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

TEST(DiskFullE2ETest, ARunThatFillsTheDiskRecordsItsEndAndDeleteAndGcFreeSpace) {
  Project p("disk_full");
  SmallDisk disk(p.Path(".mlpipe"));
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs is not permitted here (needs root or CAP_SYS_ADMIN)";
  p.Write("pipeline.yaml", R"y(pipeline: filler
params: {mb: 20}
steps:
  small:
    run: echo kept > ${outputs.data}
    shell: true
    outputs: {data: dataset}
  fill:
    run: head -c ${params.mb}000000 /dev/zero > ${outputs.data}
    shell: true
    inputs: {d: small.data}
    outputs: {data: dataset}
)y");
  auto full = p.Mlpipe({"run", "pipeline.yaml"});
  EXPECT_EQ(full.exit_code, 1) << full.out << full.err;
  // The failure says the disk is full, where, how full, and what to do.
  EXPECT_TRUE(Contains(full.out, "fill failed: ")) << full.out;
  EXPECT_TRUE(Contains(full.out, fmt::format("the disk holding {} is full: ", p.Path(".mlpipe/runs/1"))))
      << full.out;
  EXPECT_TRUE(Contains(full.out, "free of 8.0 MiB")) << full.out;
  EXPECT_TRUE(Contains(full.out, "and run again")) << full.out;
  auto runs = nlohmann::json::parse(p.Mlpipe({"runs", "list", "--json"}).out);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0]["status"], "failed") << runs.dump();
  // Every step's end is recorded: the batch that held them was committed
  // with the space reserve given back, not lost with a failed COMMIT.
  auto shown = nlohmann::json::parse(p.Mlpipe({"runs", "show", "1", "--json"}).out);
  std::map<std::string, std::string> statuses;
  for (const auto& step : shown["steps"]) statuses[step["step"].get<std::string>()] = step["status"];
  EXPECT_EQ(statuses, (std::map<std::string, std::string>{{"small", "succeeded"}, {"fill", "failed"}}))
      << shown.dump();
  // The failed step's partial output is not kept beyond the next gc (the
  // run freed it already if the disk was too full to record its end).
  auto reclaim = p.Mlpipe({"artifacts", "gc", "--keep-versions", "0"});
  EXPECT_EQ(reclaim.exit_code, 0) << reclaim.out << reclaim.err;
  EXPECT_FALSE(std::filesystem::exists(p.Path(".mlpipe/runs/1/out.d"))) << reclaim.out;
  EXPECT_TRUE(Contains(reclaim.out, "kept 1")) << reclaim.out;  // the run's output stays with its run

  // Fill what is left from outside, then free space with mlpipe.
  Shell("head -c 20000000 /dev/zero > '" + p.Path(".mlpipe/filler") + "' 2>/dev/null");
  auto deleted = p.Mlpipe({"runs", "delete", "1"});
  EXPECT_EQ(deleted.exit_code, 0) << deleted.out << deleted.err;
  auto gc = p.Mlpipe({"artifacts", "gc", "--keep-versions", "0"});
  EXPECT_EQ(gc.exit_code, 0) << gc.out << gc.err;
  EXPECT_TRUE(Contains(gc.out, "freed 1 object")) << gc.out;
  auto verify = p.Mlpipe({"artifacts", "verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;

  // With room again, the same pipeline runs.
  std::filesystem::remove(p.Path(".mlpipe/filler"));
  auto rerun = p.Mlpipe({"run", "pipeline.yaml", "-p", "mb=1"});
  EXPECT_EQ(rerun.exit_code, 0) << rerun.out << rerun.err;
}

}  // namespace
}  // namespace mlpipe::e2e
