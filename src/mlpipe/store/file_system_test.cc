#include "mlpipe/store/file_system.h"

#include <gtest/gtest.h>

#include "mlpipe/store/fault_injecting_file_system.h"
#include "mlpipe/store/test_util.h"

namespace mlpipe::store {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

TEST(FileSystemTest, WriteFileAtomicallyReplacesContentAndLeavesNoTemp) {
  TempDir dir;
  FileSystem& fs = PosixFileSystem();
  ASSERT_TRUE(fs.WriteFileAtomically(dir.Sub("f"), "one").ok());
  ASSERT_TRUE(fs.WriteFileAtomically(dir.Sub("f"), "two").ok());
  EXPECT_EQ(ReadFile(dir.Sub("f")), "two");
  auto entries = fs.ReadDir(dir.path());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name, "f");
}

TEST(FileSystemTest, ReadDirIsSortedAndStatReportsKinds) {
  TempDir dir;
  FileSystem& fs = PosixFileSystem();
  WriteFile(dir.Sub("b"), "x");
  WriteFile(dir.Sub("a/c"), "y");
  auto entries = fs.ReadDir(dir.path());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "a");
  EXPECT_TRUE(fs.Stat(dir.Sub("a"))->is_dir);
  EXPECT_TRUE(fs.Stat(dir.Sub("b"))->is_regular);
  EXPECT_EQ(fs.Stat(dir.Sub("b"))->size, 1u);
  EXPECT_EQ(fs.Stat(dir.Sub("missing")).status().code(), StatusCode::kNotFound);
}

TEST(FileSystemTest, RemoveAllRemovesReadOnlyTrees) {
  TempDir dir;
  FileSystem& fs = PosixFileSystem();
  WriteFile(dir.Sub("t/sub/f"), "x", 0444);
  ASSERT_TRUE(fs.Chmod(dir.Sub("t/sub"), 0555).ok());
  ASSERT_TRUE(fs.Chmod(dir.Sub("t"), 0555).ok());
  ASSERT_TRUE(fs.RemoveAll(dir.Sub("t")).ok());
  EXPECT_FALSE(fs.Exists(dir.Sub("t")));
  EXPECT_TRUE(fs.RemoveAll(dir.Sub("t")).ok());  // missing is fine
}

TEST(FaultInjectingFileSystemTest, FailsTheNthCallOnceThenRecovers) {
  TempDir dir;
  FaultInjectingFileSystem fs(PosixFileSystem());
  WriteFile(dir.Sub("a"), "x");
  fs.Arm({.kind = FaultKind::kRename, .nth = 2});
  EXPECT_TRUE(fs.Rename(dir.Sub("a"), dir.Sub("b")).ok());
  EXPECT_FALSE(fs.Rename(dir.Sub("b"), dir.Sub("c")).ok());
  EXPECT_TRUE(fs.Rename(dir.Sub("b"), dir.Sub("c")).ok());
  EXPECT_EQ(fs.failures(), 1);
}

TEST(FaultInjectingFileSystemTest, AlwaysKeepsFailing) {
  TempDir dir;
  FaultInjectingFileSystem fs(PosixFileSystem());
  fs.Arm({.kind = FaultKind::kSync, .always = true});
  EXPECT_FALSE(fs.SyncDir(dir.path()).ok());
  EXPECT_FALSE(fs.SyncDir(dir.path()).ok());
  fs.Disarm();
  EXPECT_TRUE(fs.SyncDir(dir.path()).ok());
}

TEST(FaultInjectingFileSystemTest, DiskFullAfterNBytesReportsResourceExhausted) {
  TempDir dir;
  FaultInjectingFileSystem fs(PosixFileSystem());
  fs.Arm({.kind = FaultKind::kDiskFull, .always = true, .after_bytes = 10});
  auto tmp = fs.CreateTempFile(dir.path(), "t.");
  ASSERT_TRUE(tmp.ok());
  EXPECT_TRUE(tmp->file->Append("12345678", 8).ok());
  Status s = tmp->file->Append("12345678", 8);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_EQ(fs.bytes_written(), 8u);
}

TEST(FaultInjectingFileSystemTest, WriteAndLinkFaults) {
  TempDir dir;
  FaultInjectingFileSystem fs(PosixFileSystem());
  WriteFile(dir.Sub("a"), "x");
  fs.Arm({.kind = FaultKind::kLink});
  EXPECT_FALSE(fs.Link(dir.Sub("a"), dir.Sub("b")).ok());
  EXPECT_TRUE(fs.Link(dir.Sub("a"), dir.Sub("b")).ok());
  fs.Arm({.kind = FaultKind::kWrite});
  auto tmp = fs.CreateTempFile(dir.path(), "t.");
  ASSERT_TRUE(tmp.ok());
  EXPECT_FALSE(tmp->file->Append("x", 1).ok());
  EXPECT_TRUE(tmp->file->Append("x", 1).ok());
}

}  // namespace
}  // namespace mlpipe::store
