// Crash-safety of the object store under injected faults: whatever fails,
// nothing partial is ever visible at a final path and the store verifies clean.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/store/fault_injecting_file_system.h"
#include "mlpipe/store/object_store.h"
#include "mlpipe/store/test_util.h"

namespace mlpipe::store {
namespace {

using testing::OpenTestStore;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

struct FaultCase {
  const char* name;
  Fault fault;
  PutMode mode;
};

class ObjectStoreFaultTest : public ::testing::TestWithParam<FaultCase> {
 protected:
  void SetUp() override { OpenTestStore(dir_, fs_, &ws_, &store_); }

  // Fresh content each round so every round has something new to write.
  void MakeFolder(const std::string& rel, int round) {
    std::string tag = std::to_string(round);
    WriteFile(dir_.Sub(rel + "/a.bin"), std::string(3000, 'a') + tag);
    WriteFile(dir_.Sub(rel + "/sub/b.txt"), "b" + tag);
    WriteFile(dir_.Sub(rel + "/run.sh"), "#!/bin/sh\n#" + tag, 0755);
    ASSERT_TRUE(PosixFileSystem().MakeDirs(dir_.Sub(rel + "/empty")).ok());
  }

  // Every file at a final path is whole; every tree matches its manifest.
  void ExpectNothingPartialVisible() {
    auto report = store_->Verify();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    for (const auto& p : report->problems) ADD_FAILURE() << p.ref << " " << p.path << ": " << p.detail;
    auto trees = PosixFileSystem().ReadDir(ws_->TreesDir());
    ASSERT_TRUE(trees.ok());
    for (const auto& t : *trees) {
      auto m = store_->ReadManifest("sha256:" + t.name);
      ASSERT_TRUE(m.ok()) << "tree without manifest: " << t.name;
      for (const auto& e : m->entries) {
        std::string p = ws_->TreePath(t.name) + "/" + e.path;
        if (e.is_dir) {
          EXPECT_TRUE(PosixFileSystem().Exists(p)) << p;
        } else {
          EXPECT_EQ("sha256:" + Sha256Hex(ReadFile(p)), e.digest) << p;
        }
      }
    }
  }

  TempDir dir_;
  FaultInjectingFileSystem fs_{PosixFileSystem()};
  std::unique_ptr<Workspace> ws_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreFaultTest, FailureAtAnyPointLeavesNoPartialObject) {
  const FaultCase& c = GetParam();
  int total_failures = 0, disk_full_errors = 0;
  for (int round = 1; round <= 8; ++round) {
    std::string rel = "out" + std::to_string(round);
    MakeFolder(rel, round);
    Fault f = c.fault;
    if (f.kind == FaultKind::kDiskFull) {
      f.after_bytes = static_cast<uint64_t>(round - 1) * 700;
    } else {
      f.nth = round;
    }
    fs_.Arm(f);
    auto obj = store_->Put(dir_.Sub(rel), c.mode);
    std::string materialized_error;
    if (obj.ok()) {
      auto tree = store_->Materialize(obj->ref);
      if (!tree.ok()) materialized_error = tree.status().ToString();
    }
    total_failures += fs_.failures();
    fs_.Disarm();
    ExpectNothingPartialVisible();
    if (!obj.ok() && obj.status().code() == StatusCode::kResourceExhausted) {
      // A full disk is said in full: the path, how full, what storing needed.
      const std::string m(obj.status().message());
      EXPECT_NE(m.find(fmt::format("storing {}", dir_.Sub(rel))), std::string::npos) << m;
      EXPECT_NE(m.find(fmt::format("the disk holding {} is full", ws_->ObjectsDir())), std::string::npos)
          << m;
      const uint64_t size = *PosixFileSystem().TreeSize(dir_.Sub(rel));
      EXPECT_NE(m.find(fmt::format("this needs {}", FormatBytes(size))), std::string::npos) << m;
      ++disk_full_errors;
    }
    if (obj.ok()) {
      EXPECT_TRUE(store_->Contains(obj->ref));
    }

    // After the fault clears, the same folder goes in (or is already there).
    // A kLink/kMove put may have consumed or locked some source files, so
    // re-create the folder with the same content first.
    (void)PosixFileSystem().RemoveAll(dir_.Sub(rel));
    MakeFolder(rel, round);
    auto retry = store_->Put(dir_.Sub(rel), c.mode);
    ASSERT_TRUE(retry.ok()) << retry.status().ToString();
    if (obj.ok()) {
      EXPECT_EQ(retry->ref, obj->ref);
    }
    auto tree = store_->Materialize(retry->ref);
    ASSERT_TRUE(tree.ok()) << tree.status().ToString();
    EXPECT_EQ(ReadFile(*tree + "/sub/b.txt"), fmt::format("b{}", round));
    ExpectNothingPartialVisible();
  }
  EXPECT_GT(total_failures, 0) << "the fault never fired: the test proves nothing";
  if (c.fault.kind == FaultKind::kDiskFull && c.mode == PutMode::kCopy) {
    EXPECT_GT(disk_full_errors, 0);
  }
  // Failed puts cleaned up after themselves; a fresh open sweeps the rest.
  auto reopened = ObjectStore::Open(*ws_, {.process_alive = [](int64_t) { return false; }});
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE(PosixFileSystem().ReadDir(ws_->TmpDir())->empty());
}

INSTANTIATE_TEST_SUITE_P(
    AllFaultKinds, ObjectStoreFaultTest,
    ::testing::Values(
        FaultCase{"WriteOnce", {.kind = FaultKind::kWrite}, PutMode::kCopy},
        FaultCase{"WriteAlways", {.kind = FaultKind::kWrite, .always = true}, PutMode::kCopy},
        FaultCase{"SyncOnce", {.kind = FaultKind::kSync}, PutMode::kCopy},
        FaultCase{"SyncAlways", {.kind = FaultKind::kSync, .always = true}, PutMode::kCopy},
        FaultCase{"SyncOnceLinkMode", {.kind = FaultKind::kSync}, PutMode::kLink},
        FaultCase{"RenameOnce", {.kind = FaultKind::kRename}, PutMode::kCopy},
        FaultCase{"RenameAlways", {.kind = FaultKind::kRename, .always = true}, PutMode::kCopy},
        FaultCase{"RenameOnceMoveMode", {.kind = FaultKind::kRename}, PutMode::kMove},
        FaultCase{"LinkOnce", {.kind = FaultKind::kLink}, PutMode::kLink},
        FaultCase{"LinkAlways", {.kind = FaultKind::kLink, .always = true}, PutMode::kLink},
        FaultCase{"DiskFullOnce", {.kind = FaultKind::kDiskFull}, PutMode::kCopy},
        FaultCase{"DiskFullAlways", {.kind = FaultKind::kDiskFull, .always = true}, PutMode::kCopy},
        FaultCase{"DiskFullLinkMode", {.kind = FaultKind::kDiskFull, .always = true}, PutMode::kLink}),
    [](const ::testing::TestParamInfo<FaultCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace mlpipe::store
