#include "mlpipe/store/hash_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <chrono>

#include <gtest/gtest.h>

#include "mlpipe/base/sha256.h"
#include "mlpipe/store/object_store.h"
#include "mlpipe/store/test_util.h"

namespace mlpipe::store {
namespace {

using testing::TempDir;
using testing::WriteFile;

// Sets a file's mtime to `secs` seconds after the epoch (far in the past, so
// the racy window does not apply).
void SetMtime(const std::string& path, int64_t secs, long nanos = 0) {
  struct timespec ts[2] = {{secs, nanos}, {secs, nanos}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), ts, 0), 0);
}

std::unique_ptr<HashCache> OpenCache(const std::string& path) {
  auto c = HashCache::Open(path);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(*c);
}

TEST(HashCacheTest, UnchangedStatIsNotRehashed) {
  TempDir dir;
  WriteFile(dir.Sub("train.py"), "print(1)");
  SetMtime(dir.Sub("train.py"), 1'600'000'000);
  auto cache = OpenCache(dir.Sub("cache"));
  auto first = cache->HashSource(dir.Sub("train.py"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->rehashed);
  EXPECT_EQ(first->ref, "sha256:" + Sha256Hex("print(1)"));
  auto second = cache->HashSource(dir.Sub("train.py"));
  EXPECT_FALSE(second->rehashed);
  EXPECT_EQ(second->ref, first->ref);
}

TEST(HashCacheTest, AnEmptyPathIsACacheInMemoryOnly) {
  TempDir dir;
  WriteFile(dir.Sub("f"), "abc");
  SetMtime(dir.Sub("f"), 1'600'000'000);
  auto cache = OpenCache("");
  ASSERT_TRUE(cache->HashSource(dir.Sub("f")).ok());
  auto again = cache->HashSource(dir.Sub("f"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->rehashed) << "the entry is kept in memory";
  EXPECT_TRUE(cache->Flush().ok());
  EXPECT_EQ(cache->size(), 1u);
}

TEST(HashCacheTest, TouchWithoutContentChangeRehashesToSameDigest) {
  TempDir dir;
  WriteFile(dir.Sub("f"), "abc");
  SetMtime(dir.Sub("f"), 1'600'000'000);
  auto cache = OpenCache(dir.Sub("cache"));
  auto first = cache->HashSource(dir.Sub("f"));
  SetMtime(dir.Sub("f"), 1'600'000'100);
  auto second = cache->HashSource(dir.Sub("f"));
  EXPECT_TRUE(second->rehashed);
  EXPECT_EQ(second->ref, first->ref);
  auto third = cache->HashSource(dir.Sub("f"));
  EXPECT_FALSE(third->rehashed);
}

TEST(HashCacheTest, ContentChangeWithSameMtimeButNewSizeIsNoticed) {
  TempDir dir;
  WriteFile(dir.Sub("f"), "abc");
  SetMtime(dir.Sub("f"), 1'600'000'000);
  auto cache = OpenCache(dir.Sub("cache"));
  auto first = cache->HashSource(dir.Sub("f"));
  WriteFile(dir.Sub("f"), "abcd");
  SetMtime(dir.Sub("f"), 1'600'000'000);
  auto second = cache->HashSource(dir.Sub("f"));
  EXPECT_TRUE(second->rehashed);
  EXPECT_EQ(second->ref, "sha256:" + Sha256Hex("abcd"));
}

TEST(HashCacheTest, RecentlyModifiedFilesAreNotTrusted) {
  TempDir dir;
  WriteFile(dir.Sub("f"), "fresh");  // mtime = now: inside the racy window
  auto cache = OpenCache(dir.Sub("cache"));
  EXPECT_TRUE(cache->HashSource(dir.Sub("f"))->rehashed);
  EXPECT_TRUE(cache->HashSource(dir.Sub("f"))->rehashed);
  EXPECT_EQ(cache->size(), 0u);
}

TEST(HashCacheTest, PersistsAcrossOpenAfterFlush) {
  TempDir dir;
  WriteFile(dir.Sub("f"), "abc");
  SetMtime(dir.Sub("f"), 1'600'000'000);
  {
    auto cache = OpenCache(dir.Sub("cache"));
    ASSERT_TRUE(cache->HashSource(dir.Sub("f")).ok());
    ASSERT_TRUE(cache->Flush().ok());
  }
  auto cache = OpenCache(dir.Sub("cache"));
  EXPECT_EQ(cache->size(), 1u);
  EXPECT_FALSE(cache->HashSource(dir.Sub("f"))->rehashed);
}

TEST(HashCacheTest, DamagedCacheFileOnlyCostsRehashing) {
  TempDir dir;
  WriteFile(dir.Sub("cache"), "mlpipe-hash-cache v1\ngarbage\tline\n1\t2\n");
  WriteFile(dir.Sub("f"), "abc");
  auto cache = OpenCache(dir.Sub("cache"));
  EXPECT_EQ(cache->size(), 0u);
  EXPECT_TRUE(cache->HashSource(dir.Sub("f"))->rehashed);
}

TEST(HashCacheTest, FolderDigestEqualsObjectStoreRefAndOnlyChangedFilesAreRehashed) {
  TempDir dir;
  WriteFile(dir.Sub("data/a.csv"), "x,y\n1,2\n");
  WriteFile(dir.Sub("data/sub/b.csv"), "x\n3\n");
  WriteFile(dir.Sub("data/tool.sh"), "#!/bin/sh\n", 0755);
  ASSERT_TRUE(PosixFileSystem().MakeDirs(dir.Sub("data/empty")).ok());
  for (const char* f : {"data/a.csv", "data/sub/b.csv", "data/tool.sh"}) SetMtime(dir.Sub(f), 1'600'000'000);
  auto cache = OpenCache(dir.Sub("cache"));
  auto first = cache->HashSource(dir.Sub("data"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->is_dir);
  EXPECT_EQ(first->file_count, 3u);
  EXPECT_EQ(first->files_rehashed, 3u);

  auto ws = Workspace::OpenOrCreate(dir.path(), dir.Sub(".mlpipe"));
  auto store = ObjectStore::Open(*ws);
  auto stored = (*store)->Put(dir.Sub("data"), PutMode::kCopy);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->ref, first->ref);

  EXPECT_FALSE(cache->HashSource(dir.Sub("data"))->rehashed);
  WriteFile(dir.Sub("data/sub/b.csv"), "x\n4\n");
  SetMtime(dir.Sub("data/sub/b.csv"), 1'600'000'001);
  auto changed = cache->HashSource(dir.Sub("data"));
  EXPECT_EQ(changed->files_rehashed, 1u);
  EXPECT_NE(changed->ref, first->ref);
  WriteFile(dir.Sub("data/new.csv"), "n");
  SetMtime(dir.Sub("data/new.csv"), 1'600'000'000);
  auto added = cache->HashSource(dir.Sub("data"));
  EXPECT_EQ(added->files_rehashed, 1u);
  EXPECT_EQ(added->file_count, 4u);
}

TEST(HashCacheTest, ThousandSourcesReopenFast) {
  TempDir dir;
  for (int i = 0; i < 1000; ++i) {
    std::string p = dir.Sub("src/f" + std::to_string(i));
    WriteFile(p, "content " + std::to_string(i));
    SetMtime(p, 1'600'000'000);
  }
  {
    auto cache = OpenCache(dir.Sub("cache"));
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(cache->HashSource(dir.Sub("src/f" + std::to_string(i))).ok());
    ASSERT_TRUE(cache->Flush().ok());
  }
  auto cache = OpenCache(dir.Sub("cache"));
  int rehashed = 0;
  for (int i = 0; i < 1000; ++i) rehashed += cache->HashSource(dir.Sub("src/f" + std::to_string(i)))->rehashed;
  EXPECT_EQ(rehashed, 0);  // the reopened cache answers from its record: no file is read again
}

TEST(HashCacheTest, MissingSourceIsNotFound) {
  TempDir dir;
  auto cache = OpenCache(dir.Sub("cache"));
  EXPECT_EQ(cache->HashSource(dir.Sub("nope")).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace mlpipe::store
