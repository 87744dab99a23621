// gc and verify of the shared store, over the in-memory S3 fake (the real
// Ceph RGW path is tests/e2e/shared_objects_e2e_test.cc).
#include "mlpipe/store/remote_maintenance.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "mlpipe/base/sha256.h"
#include "mlpipe/store/memory_s3_client.h"
#include "mlpipe/store/remote_objects_conformance.h"

namespace mlpipe::store::testing {
namespace {

constexpr int64_t kHourNs = int64_t{3600} * 1'000'000'000;

class RemoteMaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override { node_.Open(client_); }
  // Sends `ref` and dates every S3 object it made `age_ns` before kNow.
  void PushAged(const std::string& ref, int64_t age_ns) {
    ASSERT_TRUE(node_.remote->Push(ref).ok());
    auto listed = client_.ListObjects("");
    ASSERT_TRUE(listed.ok());
    for (const auto& e : *listed) {
      if (!dated_.count(e.key)) {
        client_.SetModified(e.key, kNow - age_ns);
        dated_.insert(e.key);
      }
    }
  }
  std::vector<std::string> DoomedRefs(const RemoteGcPlan& plan) const {
    std::vector<std::string> out;
    for (const auto& o : plan.doomed) out.push_back(o.ref);
    return out;
  }

  static constexpr int64_t kNow = int64_t{1'796'680'800} * 1'000'000'000;
  MemoryS3Client client_;
  RemoteNode node_;
  std::set<std::string> dated_;
};

TEST_F(RemoteMaintenanceTest, GcRemovesOldUnnamedObjectsAndSparesNamedYoungAndKeptFoldersBlobs) {
  node_.dir.Write("named", "named");
  node_.dir.Write("old", "old garbage");
  node_.dir.Write("young", "young garbage");
  node_.dir.Write("kept/a", "shared blob");
  node_.dir.Write("gone/a", "shared blob");
  node_.dir.Write("gone/b", "only in the doomed folder");
  node_.dir.Write("fresh/c", "only in a young folder");
  const std::string named = node_.Put("named"), old = node_.Put("old"), young = node_.Put("young");
  const std::string kept = node_.Put("kept"), gone = node_.Put("gone"), fresh = node_.Put("fresh");
  PushAged(named, 2 * kHourNs);
  PushAged(old, 2 * kHourNs);
  PushAged(young, kHourNs / 2);
  PushAged(kept, 2 * kHourNs);
  PushAged(gone, 2 * kHourNs);
  PushAged(fresh, kHourNs / 2);
  auto plan = PlanRemoteGc(*node_.remote, {named, kept}, kHourNs, kNow);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const std::string only_gone = "sha256:" + Sha256Hex("only in the doomed folder");
  // The doomed folder's manifest first, then the blobs nothing kept lists;
  // its blob shared with a kept folder stays.
  const std::vector<std::string> doomed = DoomedRefs(*plan);
  ASSERT_EQ(doomed.size(), 3u);
  EXPECT_EQ(doomed[0], gone);
  EXPECT_TRUE(plan->doomed[0].is_dir);
  EXPECT_EQ(std::set<std::string>(doomed.begin() + 1, doomed.end()), (std::set<std::string>{old, only_gone}));
  EXPECT_EQ(plan->young, 2u);  // the young file and the fresh folder
  EXPECT_EQ(plan->kept, 4u);   // named, the kept folder, and the blobs the kept and the fresh folder list
  // A grace period of 0 spares only what is named.
  auto all = PlanRemoteGc(*node_.remote, {named, kept}, 0, kNow);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->doomed.size(), 6u);
  EXPECT_EQ(all->young, 0u);
}

TEST_F(RemoteMaintenanceTest, GcStopsBeforeRemovingAnythingWhenAKeptFoldersManifestCannotBeRead) {
  node_.dir.Write("kept/a", "a");
  const std::string kept = node_.Put("kept");
  PushAged(kept, 2 * kHourNs);
  client_.SetObject(RemoteManifestKey(kept.substr(kRefPrefix.size())), "not the manifest");
  auto plan = PlanRemoteGc(*node_.remote, {kept}, kHourNs, kNow);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kDataLoss) << plan.status().ToString();
  EXPECT_NE(plan.status().message().find("nothing was removed"), std::string::npos);
}

TEST_F(RemoteMaintenanceTest, VerifyFindsMissingAndDamagedCopiesAndRepairSendsThemAgain) {
  node_.dir.Write("f", "file content");
  node_.dir.Write("d/x", "folder blob");
  node_.dir.Write("lost", "never sent");
  const std::string f = node_.Put("f"), d = node_.Put("d"), lost = node_.Put("lost");
  ASSERT_TRUE(node_.remote->Push(f).ok());
  ASSERT_TRUE(node_.remote->Push(d).ok());
  const std::string x = "sha256:" + Sha256Hex("folder blob");
  client_.SetObject(RemoteBlobKey(x.substr(kRefPrefix.size())), "folder blXb");  // same size, damaged
  auto found = VerifyRemote(*node_.remote, *node_.store, {f, d, lost}, {}, /*repair=*/false);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_EQ(found->problems.size(), 2u);
  EXPECT_EQ(found->problems[0].ref, x);
  EXPECT_EQ(found->problems[0].kind, ProblemKind::kDamaged);
  EXPECT_EQ(found->problems[1].ref, lost);
  EXPECT_EQ(found->problems[1].kind, ProblemKind::kMissing);
  EXPECT_TRUE(found->repairs.empty());
  // A ref recorded as removed is not looked for.
  auto skipped = VerifyRemote(*node_.remote, *node_.store, {f, lost}, {lost}, false);
  ASSERT_TRUE(skipped.ok());
  EXPECT_TRUE(skipped->problems.empty());

  auto repaired = VerifyRemote(*node_.remote, *node_.store, {f, d, lost}, {}, /*repair=*/true);
  ASSERT_TRUE(repaired.ok()) << repaired.status().ToString();
  EXPECT_EQ(repaired->repairs.size(), 2u);
  for (const auto& [ref, did] : repaired->repairs) EXPECT_EQ(did, "sent again from this workspace") << ref;
  auto after = VerifyRemote(*node_.remote, *node_.store, {f, d, lost}, {}, false);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->problems.empty()) << after->problems.front().detail;
  EXPECT_EQ(client_.Object(RemoteBlobKey(x.substr(kRefPrefix.size()))), "folder blob");
}

TEST_F(RemoteMaintenanceTest, VerifyDownloadsABlobManyFoldersShareOnce) {
  node_.dir.Write("a/shared", "the same bytes");
  node_.dir.Write("b/shared", "the same bytes");
  node_.dir.Write("b/own", "b's own");
  const std::string a = node_.Put("a"), b = node_.Put("b");
  ASSERT_TRUE(node_.remote->Push(a).ok());
  ASSERT_TRUE(node_.remote->Push(b).ok());
  const std::string shared_key = RemoteBlobKey(Sha256Hex("the same bytes"));
  client_.SetObject(shared_key, "the same bXtes");  // damaged: reported once, not per folder
  const int gets = client_.calls(S3Op::kGet);
  auto found = VerifyRemote(*node_.remote, *node_.store, {a, b}, {}, /*repair=*/false);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->checked, 2u);                   // the shared blob and b's own
  EXPECT_EQ(client_.calls(S3Op::kGet) - gets, 4);  // two manifests, two blobs
  ASSERT_EQ(found->problems.size(), 1u);
  EXPECT_EQ(found->problems[0].path, shared_key);
}

TEST_F(RemoteMaintenanceTest, RepairSendsNothingThisWorkspaceDoesNotHoldIntact) {
  node_.dir.Write("f", "content");
  const std::string f = node_.Put("f");
  ASSERT_TRUE(node_.store->Remove(f).ok());
  auto r = VerifyRemote(*node_.remote, *node_.store, {f}, {}, /*repair=*/true);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->repairs.at(f), "not repaired: this workspace has no intact copy");
  EXPECT_EQ(client_.calls(S3Op::kPut), 0);
}

}  // namespace
}  // namespace mlpipe::store::testing
