#include "mlpipe/store/manifest.h"

#include <gtest/gtest.h>

#include "mlpipe/base/sha256.h"
#include "mlpipe/store/test_util.h"

namespace mlpipe::store {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(ManifestTest, SerializationIsCanonicalWhateverTheEntryOrder) {
  std::string d = "sha256:" + std::string(64, '0');
  Manifest a{{{"b", false, 1, d, false}, {"a.txt", false, 2, d, true}, {"a/x", false, 3, d, false}}};
  Manifest b{{{"a/x", false, 3, d, false}, {"b", false, 1, d, false}, {"a.txt", false, 2, d, true}}};
  EXPECT_EQ(*SerializeManifest(a), *SerializeManifest(b));
  auto parsed = ParseManifest(*SerializeManifest(a));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->entries.size(), 3u);
  EXPECT_EQ(parsed->entries[0].path, "a.txt");  // sorted by bytes: '.' < '/'
  EXPECT_TRUE(parsed->entries[0].executable);
  EXPECT_EQ(parsed->TotalSize(), 6u);
  EXPECT_EQ(parsed->FileCount(), 3u);
}

TEST(ManifestTest, RejectsUnsafePathsAndGarbage) {
  std::string d = "sha256:" + std::string(64, '0');
  Manifest evil{{{"../etc/passwd", false, 1, d, false}}};
  EXPECT_EQ(ParseManifest(*SerializeManifest(evil)).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseManifest("not json").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ParseManifest("{\"entries\":[]}").status().code(), StatusCode::kDataLoss);
}

TEST(ManifestTest, WalkListsFilesAndEmptyFoldersAndRejectsSymlinks) {
  TempDir dir;
  WriteFile(dir.Sub("f/a"), "1");
  WriteFile(dir.Sub("f/sub/b"), "2");
  ASSERT_TRUE(PosixFileSystem().MakeDirs(dir.Sub("f/empty")).ok());
  auto walk = WalkFolder(PosixFileSystem(), dir.Sub("f"));
  ASSERT_TRUE(walk.ok());
  std::vector<std::string> paths;
  for (const auto& w : *walk) paths.push_back(w.rel_path + (w.stat.is_dir ? "/" : ""));
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"a", "empty/", "sub/b"}));
  ASSERT_EQ(::symlink("a", dir.Sub("f/link").c_str()), 0);
  EXPECT_EQ(WalkFolder(PosixFileSystem(), dir.Sub("f")).status().code(), StatusCode::kInvalidArgument);
}

TEST(ManifestTest, HashFileMatchesSha256OfContent) {
  TempDir dir;
  std::string big(3 * (1 << 20) + 17, 'z');  // spans several 1 MiB buffers
  WriteFile(dir.Sub("big"), big);
  EXPECT_EQ(*HashFile(PosixFileSystem(), dir.Sub("big")), "sha256:" + Sha256Hex(big));
}

}  // namespace
}  // namespace mlpipe::store
