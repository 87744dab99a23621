// End-to-end: sources on a filesystem with reflinks (XFS on a loop device)
// are stored as clones: no second copy of their blocks, and a later write
// into the source never reaches the stored version. Needs root (mount) and
// mkfs.xfs; skipped, saying why, where either is missing.
#include <gtest/gtest.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/e2e/e2e_util.h"

namespace mlpipe::e2e {
namespace {

namespace fs = std::filesystem;

uint64_t FreeBytes(const std::string& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
}

class ReflinkE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a loop device needs root";
    if (Shell("command -v mkfs.xfs > /dev/null") != 0)
      GTEST_SKIP() << "no mkfs.xfs (Debian package xfsprogs)";
    image_ = root_.Path("xfs.img");
    mount_ = root_.Path("mnt");
    fs::create_directories(mount_);
    if (Shell("truncate -s 400M '" + image_ + "' && mkfs.xfs -q -m reflink=1 '" + image_ + "'") != 0) {
      GTEST_SKIP() << "mkfs.xfs could not make a filesystem image";
    }
    if (Shell("mount -o loop '" + image_ + "' '" + mount_ + "' 2> /dev/null") != 0) {
      GTEST_SKIP() << "this machine does not allow a loop mount";
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) Shell("umount '" + mount_ + "' || umount -l '" + mount_ + "'");
  }

  Project root_{"reflink"};
  std::string image_, mount_;
  bool mounted_ = false;
};

TEST_F(ReflinkE2ETest, ASourceIsStoredAsACloneAndKeepsItsVersion) {
  const std::string proj = mount_ + "/proj";
  fs::create_directories(proj + "/data");
  Shell("head -c 100000000 /dev/urandom > '" + proj + "/data/big.bin'");
  {
    std::ofstream(proj + "/pipeline.yaml") << R"(pipeline: reflinked
steps:
  size:
    run: [sh, -c, 'wc -c < "$0" > "$1"', '${inputs.big}', '${outputs.n}']
    inputs: {big: data/big.bin}
    outputs: {n: dataset}
)";
  }
  Shell("sync");
  const uint64_t free_before = FreeBytes(mount_);
  const std::string env = "MLPIPE_HOME='" + proj + "/.mlpipe' ";
  ASSERT_EQ(Shell("cd '" + proj + "' && " + env + "'" MLPIPE_BIN "' run pipeline.yaml > /dev/null"), 0);
  Shell("sync");
  const uint64_t used = free_before - FreeBytes(mount_);
  EXPECT_LT(used, 20'000'000u) << "a 100 MB source stored as a clone takes no second 100 MB; used " << used;

  const std::string v1 = root_.Path("v1.bin");
  ASSERT_EQ(Shell("cd '" + proj + "' && " + env +
                  "'" MLPIPE_BIN "' artifacts cat reflinked.source.data/big.bin:v1 > '" + v1 + "'"),
            0);
  EXPECT_EQ(Shell("cmp -s '" + v1 + "' '" + proj + "/data/big.bin'"), 0);
  // Written in place: the clone keeps the old blocks.
  Shell("printf 'changed' | dd of='" + proj + "/data/big.bin' conv=notrunc status=none");
  const std::string again = root_.Path("again.bin");
  ASSERT_EQ(Shell("cd '" + proj + "' && " + env +
                  "'" MLPIPE_BIN "' artifacts cat reflinked.source.data/big.bin:v1 > '" + again + "'"),
            0);
  EXPECT_EQ(Shell("cmp -s '" + v1 + "' '" + again + "'"), 0);
  EXPECT_NE(Shell("cmp -s '" + again + "' '" + proj + "/data/big.bin'"), 0);
}

}  // namespace
}  // namespace mlpipe::e2e
