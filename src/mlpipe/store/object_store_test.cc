#include "mlpipe/store/object_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "mlpipe/base/sha256.h"
#include "mlpipe/store/fault_injecting_file_system.h"
#include "mlpipe/store/test_util.h"

namespace mlpipe::store {
namespace {

using testing::ModeOf;
using testing::ReadFile;
using testing::OpenTestStore;
using testing::TempDir;
using testing::WriteFile;

std::string HostTagForTest() {
  char buf[256] = {0};
  ::gethostname(buf, sizeof(buf) - 1);
  std::string h = buf;
  for (char& c : h) {
    if (c == '.' || c == '/') c = '-';
  }
  return h.empty() ? "host" : h;
}

class ObjectStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OpenTestStore(dir_, fs_, &ws_, &store_);
  }
  void MakeFolder(const std::string& rel) {
    WriteFile(dir_.Sub(rel + "/model.bin"), "weights");
    WriteFile(dir_.Sub(rel + "/sub/meta.json"), "{\"a\":1}");
    WriteFile(dir_.Sub(rel + "/run.sh"), "#!/bin/sh\necho hi\n", 0755);
    WriteFile(dir_.Sub(rel + "/copy.bin"), "weights");  // duplicate content
    ASSERT_TRUE(PosixFileSystem().MakeDirs(dir_.Sub(rel + "/empty")).ok());
  }

  TempDir dir_;
  FaultInjectingFileSystem fs_{PosixFileSystem()};
  std::unique_ptr<Workspace> ws_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(ObjectStoreTest, PutFileStoresReadOnlyBlobNamedByContent) {
  WriteFile(dir_.Sub("out.txt"), "hello");
  auto obj = store_->Put(dir_.Sub("out.txt"), PutMode::kCopy);
  ASSERT_TRUE(obj.ok()) << obj.status().ToString();
  EXPECT_EQ(obj->ref, "sha256:" + Sha256Hex("hello"));
  EXPECT_EQ(obj->size, 5u);
  EXPECT_FALSE(obj->is_dir);
  EXPECT_EQ(obj->file_count, 1u);
  EXPECT_EQ(obj->new_objects, 1u);
  auto path = store_->Materialize(obj->ref);
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(ReadFile(*path), "hello");
  EXPECT_EQ(ModeOf(*path), 0444u);
  EXPECT_EQ(ModeOf(dir_.Sub("out.txt")), 0644u);  // kCopy never touches the source
  EXPECT_TRUE(store_->Contains(obj->ref));
}

TEST_F(ObjectStoreTest, SecondPutOfSameContentAddsNothing) {
  WriteFile(dir_.Sub("a"), "same bytes");
  WriteFile(dir_.Sub("b"), "same bytes");
  ASSERT_TRUE(store_->Put(dir_.Sub("a"), PutMode::kCopy).ok());
  // A copy hashes while it copies (one read), so its temp copy is written
  // and then dropped: no new object.
  auto again = store_->Put(dir_.Sub("b"), PutMode::kCopy);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->new_objects, 0u);
  // A link hashes first: content already stored costs no write at all.
  uint64_t writes_before = fs_.write_calls();
  auto again_link = store_->Put(dir_.Sub("b"), PutMode::kLink);
  ASSERT_TRUE(again_link.ok());
  EXPECT_EQ(again_link->new_objects, 0u);
  EXPECT_EQ(fs_.write_calls(), writes_before);
  auto objects = store_->ListObjects();
  ASSERT_TRUE(objects.ok());
  EXPECT_EQ(objects->size(), 1u);
}

TEST_F(ObjectStoreTest, LinkModeSharesTheInodeAndMakesSourceReadOnly) {
  WriteFile(dir_.Sub("big"), std::string(100000, 'q'));
  auto obj = store_->Put(dir_.Sub("big"), PutMode::kLink);
  ASSERT_TRUE(obj.ok());
  EXPECT_EQ(obj->new_objects, 1u);
  auto src = PosixFileSystem().Stat(dir_.Sub("big"));
  auto blob = PosixFileSystem().Stat(*store_->Materialize(obj->ref));
  EXPECT_EQ(src->inode, blob->inode);
  EXPECT_EQ(blob->mode, 0444u);
  EXPECT_EQ(fs_.write_calls(), 0u);  // no byte copied
}

TEST_F(ObjectStoreTest, MoveModeRenamesTheSourceIntoTheStore) {
  WriteFile(dir_.Sub("m"), "move me");
  auto obj = store_->Put(dir_.Sub("m"), PutMode::kMove);
  ASSERT_TRUE(obj.ok());
  EXPECT_FALSE(PosixFileSystem().Exists(dir_.Sub("m")));
  EXPECT_EQ(ReadFile(*store_->Materialize(obj->ref)), "move me");
}

TEST_F(ObjectStoreTest, PutFolderStoresFilesAndManifestAndMaterializesReadOnlyTree) {
  MakeFolder("out");
  auto obj = store_->Put(dir_.Sub("out"), PutMode::kCopy);
  ASSERT_TRUE(obj.ok()) << obj.status().ToString();
  EXPECT_TRUE(obj->is_dir);
  EXPECT_EQ(obj->file_count, 4u);
  EXPECT_EQ(obj->size, 7u + 7u + 7u + 18u);
  EXPECT_EQ(obj->new_objects, 4u);  // 3 distinct blobs + manifest
  EXPECT_TRUE(store_->Contains(obj->ref));
  EXPECT_TRUE(store_->IsFolder(obj->ref));
  auto tree = store_->Materialize(obj->ref);
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_EQ(*tree, ws_->TreePath(obj->ref.substr(7)));
  EXPECT_EQ(ReadFile(*tree + "/model.bin"), "weights");
  EXPECT_EQ(ReadFile(*tree + "/sub/meta.json"), "{\"a\":1}");
  EXPECT_TRUE(PosixFileSystem().Stat(*tree + "/empty")->is_dir);
  EXPECT_EQ(ModeOf(*tree + "/run.sh"), 0555u);
  EXPECT_EQ(ModeOf(*tree + "/model.bin"), 0444u);
  EXPECT_EQ(ModeOf(*tree), 0555u);
  EXPECT_EQ(*store_->Materialize(obj->ref), *tree);  // second call reuses it
  auto blobs = store_->ReferencedBlobs(obj->ref);
  ASSERT_TRUE(blobs.ok());
  EXPECT_EQ(blobs->size(), 3u);
}

TEST_F(ObjectStoreTest, IdenticalFoldersHaveTheSameRefAndDeduplicate) {
  MakeFolder("one");
  MakeFolder("two");
  auto a = store_->Put(dir_.Sub("one"), PutMode::kCopy);
  auto b = store_->Put(dir_.Sub("two"), PutMode::kLink);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->ref, b->ref);
  EXPECT_EQ(b->new_objects, 0u);
}

TEST_F(ObjectStoreTest, ExecutableBitAndEmptyFoldersChangeTheFolderRef) {
  MakeFolder("one");
  MakeFolder("two");
  ASSERT_EQ(::chmod(dir_.Sub("two/run.sh").c_str(), 0644), 0);
  MakeFolder("three");
  ASSERT_EQ(::rmdir(dir_.Sub("three/empty").c_str()), 0);
  auto a = store_->Put(dir_.Sub("one"), PutMode::kCopy);
  auto b = store_->Put(dir_.Sub("two"), PutMode::kCopy);
  auto c = store_->Put(dir_.Sub("three"), PutMode::kCopy);
  EXPECT_NE(a->ref, b->ref);
  EXPECT_NE(a->ref, c->ref);
}

TEST_F(ObjectStoreTest, VerifyDetectsACorruptedBlob) {
  MakeFolder("out");
  auto obj = store_->Put(dir_.Sub("out"), PutMode::kCopy);
  ASSERT_TRUE(obj.ok());
  auto clean = store_->Verify();
  ASSERT_TRUE(clean.ok());
  EXPECT_TRUE(clean->ok());
  EXPECT_EQ(clean->blobs_checked, 3u);
  EXPECT_EQ(clean->folders_checked, 1u);

  std::string blob = ws_->BlobPath(Sha256Hex("weights"));
  ASSERT_EQ(::chmod(blob.c_str(), 0644), 0);
  {
    std::fstream f(blob, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.put('W');  // flip one byte
  }
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_EQ(report->problems[0].kind, ProblemKind::kDamaged);
  EXPECT_EQ(report->problems[0].ref, "sha256:" + Sha256Hex("weights"));
  auto one = store_->Verify(obj->ref);  // the folder's own check sees it too
  ASSERT_TRUE(one.ok());
  EXPECT_FALSE(one->ok());
}

TEST_F(ObjectStoreTest, VerifyReportsMissingBlobOfAFolder) {
  MakeFolder("out");
  auto obj = store_->Put(dir_.Sub("out"), PutMode::kCopy);
  ASSERT_TRUE(store_->Remove("sha256:" + Sha256Hex("{\"a\":1}")).ok());
  EXPECT_FALSE(store_->Contains(obj->ref));
  auto report = store_->Verify();
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_EQ(report->problems[0].kind, ProblemKind::kMissing);
  EXPECT_EQ(report->problems[0].ref, obj->ref);
}

TEST_F(ObjectStoreTest, RemoveFolderKeepsBlobsAndRemovesTree) {
  MakeFolder("out");
  auto obj = store_->Put(dir_.Sub("out"), PutMode::kCopy);
  ASSERT_TRUE(store_->Materialize(obj->ref).ok());
  ASSERT_TRUE(store_->Remove(obj->ref).ok());
  EXPECT_FALSE(store_->Contains(obj->ref));
  EXPECT_FALSE(PosixFileSystem().Exists(ws_->TreePath(obj->ref.substr(7))));
  EXPECT_TRUE(store_->Contains("sha256:" + Sha256Hex("weights")));
  EXPECT_EQ(store_->Remove(obj->ref).code(), StatusCode::kNotFound);
  auto objects = store_->ListObjects();
  EXPECT_EQ(objects->size(), 3u);
  EXPECT_EQ(store_->Materialize(obj->ref).status().code(), StatusCode::kNotFound);
}

TEST_F(ObjectStoreTest, PutManifestStoresAFolderOnlyOnceItsBlobsAreThere) {
  MakeFolder("out");
  auto obj = store_->Put(dir_.Sub("out"), PutMode::kCopy);
  ASSERT_TRUE(obj.ok());
  auto text = PosixFileSystem().ReadFileToString(ws_->ManifestPath(obj->ref.substr(7)));
  ASSERT_TRUE(text.ok());
  ASSERT_TRUE(store_->Remove(obj->ref).ok());
  ASSERT_TRUE(store_->Remove("sha256:" + Sha256Hex("weights")).ok());
  Status missing = store_->PutManifest(*text).status();
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_FALSE(store_->IsFolder(obj->ref));
  EXPECT_EQ(store_->PutManifest(*text + " ").status().code(), StatusCode::kDataLoss);

  dir_.Write("weights", "weights");
  ASSERT_TRUE(store_->Put(dir_.Sub("weights"), PutMode::kCopy).ok());
  auto stored = store_->PutManifest(*text);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->ref, obj->ref);
  EXPECT_EQ(stored->new_objects, 1u);
  EXPECT_TRUE(store_->Check(obj->ref).ok());
}

TEST_F(ObjectStoreTest, ListObjectsReportsSizesAndKinds) {
  MakeFolder("out");
  auto obj = store_->Put(dir_.Sub("out"), PutMode::kCopy);
  auto objects = store_->ListObjects();
  ASSERT_TRUE(objects.ok());
  ASSERT_EQ(objects->size(), 4u);
  int folders = 0;
  for (const auto& o : *objects) {
    if (o.is_dir) {
      ++folders;
      EXPECT_EQ(o.ref, obj->ref);
      EXPECT_EQ(o.size, obj->size);
    }
  }
  EXPECT_EQ(folders, 1);
}

TEST_F(ObjectStoreTest, RejectsSymlinksAndMissingPaths) {
  ASSERT_EQ(::symlink("/etc/passwd", dir_.Sub("link").c_str()), 0);
  EXPECT_EQ(store_->Put(dir_.Sub("link"), PutMode::kCopy).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->Put(dir_.Sub("nope"), PutMode::kCopy).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(store_->Contains("sha256:" + std::string(64, '0')));
  EXPECT_FALSE(store_->Contains("garbage"));
}

TEST_F(ObjectStoreTest, CleanTempRemovesLeftoversOfDeadWritersOnly) {
  WriteFile(ws_->TmpDir() + "/blob.otherhost.1.0", "x");
  WriteFile(ws_->TmpDir() + "/blob." + HostTagForTest() + ".1.0", "x");
  WriteFile(ws_->TmpDir() + "/junk", "x");
  auto store = ObjectStore::Open(*ws_, {.process_alive = [](int64_t) { return false; }});
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE(PosixFileSystem().Exists(ws_->TmpDir() + "/junk"));
  EXPECT_TRUE(PosixFileSystem().Exists(ws_->TmpDir() + "/blob.otherhost.1.0"));  // not ours to judge
  EXPECT_FALSE(PosixFileSystem().Exists(ws_->TmpDir() + "/blob." + HostTagForTest() + ".1.0"));
}

TEST_F(ObjectStoreTest, ConcurrentPutsOfTheSameContentAllSucceed) {
  MakeFolder("src");
  std::vector<std::thread> threads;
  std::vector<Status> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto s = ObjectStore::Open(*ws_, {.clean_temp_on_open = false});
      if (!s.ok()) {
        results[i] = s.status();
        return;
      }
      auto obj = (*s)->Put(dir_.Sub("src"), PutMode::kCopy);
      results[i] = obj.ok() ? OkStatus() : obj.status();
      if (obj.ok()) results[i] = (*s)->Materialize(obj->ref).status();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r.ToString();
  EXPECT_TRUE(store_->Verify()->ok());
  EXPECT_TRUE(PosixFileSystem().ReadDir(ws_->TmpDir())->empty());
}

}  // namespace
}  // namespace mlpipe::store
