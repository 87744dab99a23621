#include "mlpipe/store/layout.h"

#include <gtest/gtest.h>

#include "mlpipe/store/test_util.h"

namespace mlpipe::store {
namespace {

using testing::TempDir;

TEST(LayoutTest, RefToHexAcceptsOnlyWellFormedRefs) {
  std::string hex(64, 'a');
  EXPECT_EQ(*RefToHex("sha256:" + hex), hex);
  EXPECT_FALSE(RefToHex(hex).ok());
  EXPECT_FALSE(RefToHex("sha256:" + std::string(63, 'a')).ok());
  EXPECT_FALSE(RefToHex("sha256:" + std::string(64, 'A')).ok());
  EXPECT_FALSE(RefToHex("md5:" + hex).ok());
}

TEST(LayoutTest, FindsWorkspaceUpwardLikeGit) {
  TempDir dir;
  ASSERT_TRUE(PosixFileSystem().MakeDirs(dir.Sub(".mlpipe")).ok());
  ASSERT_TRUE(PosixFileSystem().MakeDirs(dir.Sub("a/b/c")).ok());
  auto ws = Workspace::Open(dir.Sub("a/b/c"), std::nullopt);
  ASSERT_TRUE(ws.ok()) << ws.status().ToString();
  EXPECT_EQ(ws->root(), dir.Sub(".mlpipe"));
  EXPECT_EQ(ws->ProjectDir(), dir.path());
}

TEST(LayoutTest, OpenWithoutWorkspaceIsNotFoundAndOpenOrCreateCreatesHere) {
  TempDir dir;
  ASSERT_TRUE(PosixFileSystem().MakeDirs(dir.Sub("p")).ok());
  // There may be a .mlpipe above /tmp on odd machines; pin the search with a home that does not exist.
  EXPECT_EQ(Workspace::Open(dir.Sub("p"), dir.Sub("nope")).status().code(), StatusCode::kNotFound);
  auto ws = Workspace::OpenOrCreate(dir.Sub("p"), dir.Sub("p/.mlpipe"));
  ASSERT_TRUE(ws.ok());
  EXPECT_TRUE(PosixFileSystem().Stat(ws->ObjectsDir())->is_dir);
  EXPECT_TRUE(PosixFileSystem().Stat(ws->TmpDir())->is_dir);
  EXPECT_TRUE(PosixFileSystem().Stat(ws->LocksDir())->is_dir);
}

TEST(LayoutTest, MlpipeHomeOverridesSearch) {
  TempDir dir;
  ASSERT_TRUE(PosixFileSystem().MakeDirs(dir.Sub(".mlpipe")).ok());
  ASSERT_TRUE(PosixFileSystem().MakeDirs(dir.Sub("elsewhere")).ok());
  auto ws = Workspace::Open(dir.path(), dir.Sub("elsewhere"));
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(ws->root(), dir.Sub("elsewhere"));
}

TEST(LayoutTest, PathsFollowTheDocumentedLayout) {
  Workspace ws("/p/.mlpipe");
  std::string hex = "ab" + std::string(62, 'c');
  EXPECT_EQ(ws.BlobPath(hex), "/p/.mlpipe/objects/sha256/ab/" + std::string(62, 'c'));
  EXPECT_EQ(ws.ManifestPath(hex), "/p/.mlpipe/manifests/sha256/ab/" + std::string(62, 'c'));
  EXPECT_EQ(ws.TreePath(hex), "/p/.mlpipe/trees/" + hex);
  EXPECT_EQ(ws.MetadataDbPath(), "/p/.mlpipe/metadata.db");
  EXPECT_EQ(ws.AttemptStdoutLog(7, "train", 2), "/p/.mlpipe/runs/7/train/attempt-2.stdout.log");
  EXPECT_EQ(ws.AttemptStderrLog(7, "train", 1), "/p/.mlpipe/runs/7/train/attempt-1.stderr.log");
  EXPECT_EQ(ws.StagedOutputPath(7, "train", "model"), "/p/.mlpipe/runs/7/out.d/train.model");
  EXPECT_EQ(ws.PooledWorkDir(7, 3), "/p/.mlpipe/runs/7/work.d/3");
  EXPECT_EQ(ws.MetricsFilePath(7, "train", 2), "/p/.mlpipe/runs/7/metrics.d/train.2.jsonl");
  EXPECT_EQ(ws.KeptWorkDir(7, "train", 2), "/p/.mlpipe/runs/7/train/work-2");
  EXPECT_EQ(ws.InvocationPath(7, "train", 1), "/p/.mlpipe/runs/7/train/invocation-1.json");
  EXPECT_EQ(ws.ScriptPath(7, "train", 1), "/p/.mlpipe/runs/7/train/command-1.sh");
  EXPECT_EQ(ws.StepDir(7, "../x"), "/p/.mlpipe/runs/7/.._x");
  EXPECT_EQ(ws.HashCachePath(), "/p/.mlpipe/hash-cache");
}

}  // namespace
}  // namespace mlpipe::store
