// Sources hashed and stored in one pass: what is stored, what costs a read,
// the size limit and the opt-out, and a hardlinked source written in place.
#include "mlpipe/store/source_ingester.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "mlpipe/base/sha256.h"
#include "mlpipe/store/test_util.h"

namespace mlpipe::store {
namespace {

using testing::ReadFile;
using testing::WriteFile;

// Far in the past, so the hash cache's racy window does not apply.
void AgeFile(const std::string& path, int64_t secs = 1'600'000'000) {
  struct timespec ts[2] = {{secs, 0}, {secs, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), ts, 0), 0);
}

class SourceIngesterTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    auto cache = HashCache::Open("");
    ASSERT_TRUE(cache.ok());
    hashes_ = std::move(*cache);
  }
  SourceIngester Make(PutMode mode = PutMode::kReflink, bool store = true, uint64_t max_size = 1 << 20) {
    SourceIngestOptions o;
    o.mode = mode;
    o.store = store;
    o.max_size = max_size;
    o.warn = [this](const std::string& m) { warnings_.push_back(m); };
    return SourceIngester(*hashes_, *store_, o);
  }

  std::unique_ptr<HashCache> hashes_;
  std::vector<std::string> warnings_;
};

TEST_F(SourceIngesterTest, StoresAFileInOneReadAndThenReadsNothing) {
  WriteFile(dir_.Sub("data/loans.csv"), "a,b\n1,2\n");
  AgeFile(dir_.Sub("data/loans.csv"));
  SourceIngester ingester = Make();
  auto first = ingester.Ingest(dir_.Sub("data/loans.csv"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->stored);
  EXPECT_EQ(first->digest.ref, "sha256:" + Sha256Hex("a,b\n1,2\n"));
  EXPECT_EQ(first->digest.files_rehashed, 1u);
  EXPECT_EQ(ReadFile(Blob(first->digest.ref)), "a,b\n1,2\n");
  auto second = ingester.Ingest(dir_.Sub("data/loans.csv"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->digest.ref, first->digest.ref);
  EXPECT_EQ(second->digest.files_rehashed, 0u);
  EXPECT_TRUE(second->stored);
}

TEST_F(SourceIngesterTest, EditedSourceKeepsItsOldVersion) {
  const std::string csv = dir_.Sub("loans.csv");
  WriteFile(csv, "v1\n");
  AgeFile(csv);
  SourceIngester ingester = Make();
  auto v1 = ingester.Ingest(csv);
  ASSERT_TRUE(v1.ok());
  // Written in place, as `echo >>` or pandas' to_csv would.
  { std::ofstream(csv, std::ios::app) << "v2\n"; }
  AgeFile(csv, 1'600'000'100);
  auto v2 = ingester.Ingest(csv);
  ASSERT_TRUE(v2.ok());
  EXPECT_NE(v2->digest.ref, v1->digest.ref);
  EXPECT_EQ(ReadFile(Blob(v1->digest.ref)), "v1\n");
  EXPECT_EQ(ReadFile(Blob(v2->digest.ref)), "v1\nv2\n");
  EXPECT_EQ(store_->Check(v1->digest.ref).integrity, Integrity::kIntact);
}

TEST_F(SourceIngesterTest, StoresAFolderAsAFolderObject) {
  WriteFile(dir_.Sub("raw/a.csv"), "1\n");
  WriteFile(dir_.Sub("raw/sub/b.csv"), "2\n");
  auto got = Make().Ingest(dir_.Sub("raw"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->stored);
  EXPECT_TRUE(got->digest.is_dir);
  EXPECT_EQ(got->digest.file_count, 2u);
  EXPECT_TRUE(store_->IsFolder(got->digest.ref));
  auto plain = hashes_->HashSource(dir_.Sub("raw"));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->ref, got->digest.ref) << "a stored source has the digest its cache key uses";
}

TEST_F(SourceIngesterTest, StoreFalseOnlyHashes) {
  WriteFile(dir_.Sub("x.csv"), "x\n");
  auto got = Make(PutMode::kReflink, /*store=*/false).Ingest(dir_.Sub("x.csv"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->stored);
  EXPECT_FALSE(store_->Contains(got->digest.ref));
}

TEST_F(SourceIngesterTest, LargerThanMaxSizeIsHashedNotStoredWithOneWarning) {
  WriteFile(dir_.Sub("big.csv"), std::string(100, 'x'));
  SourceIngester ingester = Make(PutMode::kCopy, true, /*max_size=*/64);
  for (int i = 0; i < 2; ++i) {
    auto got = ingester.Ingest(dir_.Sub("big.csv"));
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got->stored);
    EXPECT_FALSE(store_->Contains(got->digest.ref));
  }
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("max_size"), std::string::npos) << warnings_[0];
}

TEST_F(SourceIngesterTest, HardlinkSharesTheInodeAndMakesTheSourceReadOnly) {
  const std::string csv = dir_.Sub("data.csv");
  WriteFile(csv, "shared\n");
  AgeFile(csv);
  auto got = Make(PutMode::kLink).Ingest(csv);
  ASSERT_TRUE(got.ok());
  struct stat a {
  }, b{};
  ASSERT_EQ(::stat(csv.c_str(), &a), 0);
  ASSERT_EQ(::stat(Blob(got->digest.ref).c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_mode & 0777, 0444u);
  // Unchanged: no read, and no re-hash of the object either.
  auto again = Make(PutMode::kLink).Ingest(csv);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->digest.files_rehashed, 0u);
}

TEST_F(SourceIngesterTest, HardlinkedSourceWrittenInPlaceLosesItsOldVersionLoudly) {
  const std::string csv = dir_.Sub("data.csv");
  WriteFile(csv, "old\n");
  AgeFile(csv);
  SourceIngester ingester = Make(PutMode::kLink);
  auto v1 = ingester.Ingest(csv);
  ASSERT_TRUE(v1.ok());
  ::chmod(csv.c_str(), 0644);
  { std::ofstream(csv, std::ios::trunc) << "new\n"; }  // same inode
  AgeFile(csv, 1'600'000'100);
  auto v2 = ingester.Ingest(csv);
  ASSERT_TRUE(v2.ok());
  EXPECT_NE(v2->digest.ref, v1->digest.ref);
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_NE(warnings_[0].find("written in place"), std::string::npos) << warnings_[0];
  EXPECT_FALSE(store_->Contains(v1->digest.ref)) << "the old name must not serve the new content";
  EXPECT_TRUE(store_->QuarantinedAs(v1->digest.ref).has_value());
}

TEST_F(SourceIngesterTest, DamagedStoredSourceIsReplacedFromTheUnchangedFile) {
  const std::string csv = dir_.Sub("data.csv");
  WriteFile(csv, "keep me\n");
  AgeFile(csv);
  SourceIngester ingester = Make(PutMode::kCopy);
  auto v1 = ingester.Ingest(csv);
  ASSERT_TRUE(v1.ok());
  WriteFile(Blob(v1->digest.ref), "damaged\n");
  auto again = ingester.Ingest(csv);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->digest.ref, v1->digest.ref);
  EXPECT_EQ(ReadFile(Blob(v1->digest.ref)), "keep me\n");
}

TEST_F(SourceIngesterTest, MissingSourceIsNotFound) {
  auto got = Make().Ingest(dir_.Sub("nope.csv"));
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace mlpipe::store
