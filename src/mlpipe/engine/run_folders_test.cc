#include "mlpipe/engine/run_folders.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "mlpipe/base/testing/temp_dir.h"

namespace mlpipe::engine {
namespace {
namespace fs = std::filesystem;

class RunFoldersTest : public ::testing::Test {
 protected:
  mlpipe::testing::TempDir tmp_{"run-folders"};
  store::Workspace ws_{tmp_.path() + "/.mlpipe"};
};

TEST_F(RunFoldersTest, MakesTheRunsFixedFoldersAndSaysWhetherTheyAreNew) {
  {
    RunFolders folders(ws_, 7);
    ASSERT_TRUE(folders.Make().ok());
    EXPECT_TRUE(folders.fresh());
    EXPECT_TRUE(fs::is_directory(ws_.RunOutputsDir(7)));
    EXPECT_TRUE(fs::is_directory(ws_.RunWorkDir(7)));
    EXPECT_TRUE(fs::is_directory(ws_.RunMetricsDir(7)));
    std::ofstream(ws_.StagedOutputPath(7, "s", "out")) << "left over";
  }
  RunFolders again(ws_, 7);  // the same run id, its folder left by an earlier process
  ASSERT_TRUE(again.Make().ok());
  EXPECT_FALSE(again.fresh());
}

TEST_F(RunFoldersTest, AFolderGivenBackEmptyIsTheNextOneTaken) {
  RunFolders folders(ws_, 1);
  ASSERT_TRUE(folders.Make().ok());
  auto a = folders.TakeWorkDir();
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(fs::is_directory(*a));
  EXPECT_TRUE(fs::is_empty(*a));
  auto b = folders.TakeWorkDir();  // taken while `a` is out: a second folder
  ASSERT_TRUE(b.ok());
  EXPECT_NE(*a, *b);
  folders.GiveBackWorkDir(*a, "");
  auto c = folders.TakeWorkDir();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, *a);
  EXPECT_EQ(folders.made(), 2);
}

TEST_F(RunFoldersTest, AFolderLeftWithFilesIsNeverTakenAgain) {
  std::string dirty;
  {
    RunFolders folders(ws_, 1);
    ASSERT_TRUE(folders.Make().ok());
    dirty = *folders.TakeWorkDir();
    fs::create_directories(dirty + "/sub");
    std::ofstream(dirty + "/sub/scratch.txt") << "x";
    fs::permissions(dirty + "/sub", fs::perms::owner_read | fs::perms::owner_exec);  // read-only, still removed
    folders.GiveBackWorkDir(dirty, "");
    auto next = folders.TakeWorkDir();
    ASSERT_TRUE(next.ok());
    EXPECT_NE(*next, dirty);
    EXPECT_TRUE(fs::is_empty(*next));
    EXPECT_EQ(folders.made(), 2);
  }  // waits for the background removal
  EXPECT_FALSE(fs::exists(dirty));
}

TEST_F(RunFoldersTest, AFailedStepsFolderWithFilesIsKeptUnderTheStepsName) {
  RunFolders folders(ws_, 3);
  ASSERT_TRUE(folders.Make().ok());
  std::string dir = *folders.TakeWorkDir();
  std::ofstream(dir + "/core") << "crash";
  const std::string keep = ws_.KeptWorkDir(3, "train", 2);
  folders.GiveBackWorkDir(dir, keep);
  std::ifstream kept(keep + "/core");
  std::string text;
  kept >> text;
  EXPECT_EQ(text, "crash");
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(RunFoldersTest, TidiesTheRunFolderWhenDoneButKeepsWhatHoldsFiles) {
  {
    RunFolders folders(ws_, 5);
    ASSERT_TRUE(folders.Make().ok());
    std::string a = *folders.TakeWorkDir();
    folders.GiveBackWorkDir(a, "");
    std::ofstream(ws_.MetricsFilePath(5, "train", 1)) << "{\"auc\": 0.9}\n";
  }
  EXPECT_FALSE(fs::exists(ws_.RunWorkDir(5)));     // pooled folders and work.d: empty, removed
  EXPECT_FALSE(fs::exists(ws_.RunOutputsDir(5)));  // nothing staged is left
  EXPECT_TRUE(fs::exists(ws_.MetricsFilePath(5, "train", 1)));
}

TEST_F(RunFoldersTest, ThreadsTakingAndGivingBackNeverShareAFolder) {
  RunFolders folders(ws_, 9);
  ASSERT_TRUE(folders.Make().ok());
  std::atomic<int> clashes{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        std::string dir = *folders.TakeWorkDir();
        const std::string mine = dir + "/held-by-" + std::to_string(t);
        std::ofstream(mine) << "x";
        if (std::distance(fs::directory_iterator(dir), fs::directory_iterator()) != 1) ++clashes;
        fs::remove(mine);
        folders.GiveBackWorkDir(dir, "");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(clashes.load(), 0);
  EXPECT_LE(folders.made(), 4);
}

}  // namespace
}  // namespace mlpipe::engine
