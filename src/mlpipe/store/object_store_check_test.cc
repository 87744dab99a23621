// Trusting stored objects: stamps, Check, the quarantine of damaged objects,
// and Put replacing a damaged copy instead of keeping it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "mlpipe/base/sha256.h"
#include "mlpipe/store/object_store.h"
#include "mlpipe/store/test_util.h"

namespace mlpipe::store {
namespace {

using testing::ReadFile;
using testing::WriteFile;

// Overwrites one byte in place (same inode, same size), as a disk error or a
// stray write would, making the file writable first if needed.
void FlipByte(const std::string& path, size_t offset) {
  ::chmod(path.c_str(), 0644);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good()) << path;
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  f.seekp(static_cast<std::streamoff>(offset));
  c = static_cast<char>(c ^ 0x01);
  f.write(&c, 1);
}

int64_t MtimeOf(const std::string& path) {
  auto st = PosixFileSystem().Stat(path);
  return st.ok() ? st->mtime_ns : -1;
}

class ObjectCheckTest : public testing::StoreTest {
 protected:
  std::string PutText(const std::string& rel, const std::string& text, PutMode mode = PutMode::kCopy) {
    WriteFile(dir_.Sub(rel), text);
    auto obj = store_->Put(dir_.Sub(rel), mode);
    EXPECT_TRUE(obj.ok()) << obj.status().ToString();
    return obj.ok() ? obj->ref : "";
  }
};

TEST_F(ObjectCheckTest, EveryWayInStampsTheObject) {
  std::string copied = PutText("a.txt", "copied");
  std::string moved = PutText("b.txt", "moved", PutMode::kMove);
  std::string cloned = PutText("c.txt", "cloned or copied", PutMode::kReflink);
  for (const auto& ref : {copied, moved, cloned}) EXPECT_EQ(MtimeOf(Blob(ref)), kObjectStampNs) << ref;
  WriteFile(dir_.Sub("f/x"), "x");
  auto folder = store_->Put(dir_.Sub("f"), PutMode::kCopy);
  ASSERT_TRUE(folder.ok());
  EXPECT_EQ(MtimeOf(ws_->ManifestPath(folder->ref.substr(7))), kObjectStampNs);
}

TEST_F(ObjectCheckTest, HardlinkedSourceKeepsItsOwnMtime) {
  WriteFile(dir_.Sub("data.csv"), "a,b\n1,2\n");
  const int64_t before = MtimeOf(dir_.Sub("data.csv"));
  auto obj = store_->Put(dir_.Sub("data.csv"), PutMode::kLink);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(MtimeOf(dir_.Sub("data.csv")), before);
  // Not stamped, yet intact: the content decides.
  EXPECT_EQ(store_->Check(obj->ref).integrity, Integrity::kIntact);
}

TEST_F(ObjectCheckTest, IntactObjectPassesAndAbsentOneIsAbsent) {
  std::string ref = PutText("a.txt", "hello");
  EXPECT_EQ(store_->Check(ref).integrity, Integrity::kIntact);
  EXPECT_EQ(store_->Check("sha256:" + Sha256Hex("never stored")).integrity, Integrity::kAbsent);
}

TEST_F(ObjectCheckTest, FlippedByteIsFoundByOneStatAndQuarantined) {
  std::string ref = PutText("a.txt", "hello world");
  FlipByte(Blob(ref), 3);
  CheckResult r = store_->Check(ref);
  EXPECT_EQ(r.integrity, Integrity::kDamaged);
  EXPECT_NE(r.detail.find("hashes to"), std::string::npos) << r.detail;
  EXPECT_FALSE(PosixFileSystem().Exists(Blob(ref)));
  EXPECT_FALSE(store_->Contains(ref));
  auto note = store_->QuarantinedAs(ref);
  ASSERT_TRUE(note.has_value());
  EXPECT_NE(note->detail.find("hashes to"), std::string::npos);
  // Once quarantined it is absent, and says so.
  EXPECT_EQ(store_->Check(ref).integrity, Integrity::kAbsent);
}

TEST_F(ObjectCheckTest, ChangedObjectThatStillHashesRightIsStampedAgain) {
  std::string ref = PutText("a.txt", "same");
  // Touched, not changed (a copy of the store without -p, say).
  ASSERT_TRUE(PosixFileSystem().SetMtime(Blob(ref), 123).ok());
  EXPECT_EQ(store_->Check(ref).integrity, Integrity::kIntact);
  EXPECT_EQ(MtimeOf(Blob(ref)), kObjectStampNs);
}

TEST_F(ObjectCheckTest, RehashFindsDamageThatKeptItsStamp) {
  std::string ref = PutText("a.txt", "bit rot");
  FlipByte(Blob(ref), 0);
  ASSERT_TRUE(PosixFileSystem().SetMtime(Blob(ref), kObjectStampNs).ok());  // rot moves no mtime
  EXPECT_EQ(store_->Check(ref).integrity, Integrity::kIntact);              // one stat cannot tell
  EXPECT_EQ(store_->Check(ref, /*rehash=*/true).integrity, Integrity::kDamaged);
}

TEST_F(ObjectCheckTest, FolderWithADamagedFileIsDamagedAndItsTreeGoes) {
  WriteFile(dir_.Sub("f/a.txt"), "alpha");
  WriteFile(dir_.Sub("f/b.txt"), "beta");
  auto folder = store_->Put(dir_.Sub("f"), PutMode::kCopy);
  ASSERT_TRUE(folder.ok());
  auto tree = store_->Materialize(folder->ref);
  ASSERT_TRUE(tree.ok());
  FlipByte(Blob("sha256:" + Sha256Hex("beta")), 1);
  CheckResult r = store_->Check(folder->ref);
  EXPECT_EQ(r.integrity, Integrity::kDamaged);
  EXPECT_NE(r.detail.find("b.txt"), std::string::npos) << r.detail;
  EXPECT_FALSE(PosixFileSystem().Exists(*tree)) << "a tree of hardlinks to the damaged blob is served as is";
  EXPECT_EQ(store_->Check(folder->ref).integrity, Integrity::kAbsent);
}

TEST_F(ObjectCheckTest, PutOfExistingDigestReplacesADamagedCopy) {
  std::string ref = PutText("a.txt", "precious");
  FlipByte(Blob(ref), 2);
  // The same content again (a --no-cache rerun of the step that wrote it).
  std::string again = PutText("again.txt", "precious", PutMode::kMove);
  EXPECT_EQ(again, ref);
  EXPECT_EQ(ReadFile(Blob(ref)), "precious");
  EXPECT_EQ(store_->Check(ref).integrity, Integrity::kIntact);
  EXPECT_TRUE(store_->QuarantinedAs(ref).has_value());
}

TEST_F(ObjectCheckTest, PutReplacesATruncatedCopyFoundBySize) {
  std::string ref = PutText("a.txt", "0123456789");
  ASSERT_EQ(::truncate(Blob(ref).c_str(), 4), 0);
  ASSERT_TRUE(PosixFileSystem().SetMtime(Blob(ref), kObjectStampNs).ok());
  EXPECT_EQ(PutText("b.txt", "0123456789"), ref);
  EXPECT_EQ(ReadFile(Blob(ref)), "0123456789");
}

TEST_F(ObjectCheckTest, PutWithRehashExistingReplacesRotThatKeptItsStamp) {
  std::string ref = PutText("a.txt", "rotting");
  FlipByte(Blob(ref), 0);
  ASSERT_TRUE(PosixFileSystem().SetMtime(Blob(ref), kObjectStampNs).ok());
  WriteFile(dir_.Sub("b.txt"), "rotting");
  PutOptions options;
  options.mode = PutMode::kCopy;
  options.rehash_existing = true;
  auto obj = store_->Put(dir_.Sub("b.txt"), options);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(ReadFile(Blob(ref)), "rotting");
}

TEST_F(ObjectCheckTest, KnownDigestOfAStoredObjectCostsNoRead) {
  std::string ref = PutText("a.txt", "known");
  WriteFile(dir_.Sub("b.txt"), "known");
  PutOptions options;
  int asked = 0, hashed = 0;
  options.known_digest = [&](const std::string&, const FileStat&) {
    ++asked;
    return std::optional<std::string>(ref);
  };
  options.on_hashed = [&](const std::string&, const FileStat&, const std::string&) { ++hashed; };
  auto obj = store_->Put(dir_.Sub("b.txt"), options);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(obj->ref, ref);
  EXPECT_EQ(obj->new_objects, 0u);
  EXPECT_EQ(asked, 1);
  EXPECT_EQ(hashed, 0);
}

TEST_F(ObjectCheckTest, CopyHashesWhileCopyingAndTellsTheCaller) {
  WriteFile(dir_.Sub("a.txt"), "one pass");
  PutOptions options;
  std::string told;
  options.on_hashed = [&](const std::string&, const FileStat&, const std::string& ref) { told = ref; };
  auto obj = store_->Put(dir_.Sub("a.txt"), options);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(told, "sha256:" + Sha256Hex("one pass"));
  EXPECT_EQ(obj->ref, told);
}

TEST_F(ObjectCheckTest, DamagedManifestIsQuarantined) {
  WriteFile(dir_.Sub("f/a.txt"), "alpha");
  auto folder = store_->Put(dir_.Sub("f"), PutMode::kCopy);
  ASSERT_TRUE(folder.ok());
  const std::string manifest = ws_->ManifestPath(folder->ref.substr(7));
  FlipByte(manifest, 5);
  EXPECT_EQ(store_->Check(folder->ref).integrity, Integrity::kDamaged);
  EXPECT_FALSE(PosixFileSystem().Exists(manifest));
  // Storing the folder again brings it back whole.
  auto again = store_->Put(dir_.Sub("f"), PutMode::kCopy);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->ref, folder->ref);
  EXPECT_EQ(store_->Check(folder->ref).integrity, Integrity::kIntact);
}

}  // namespace
}  // namespace mlpipe::store
