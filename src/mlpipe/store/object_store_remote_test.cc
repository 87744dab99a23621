// ObjectStore with a shared store behind it (remote_tier.h): what Put sends,
// what a store lacking an object fetches, once, and how failures show. The
// shared store here is a third ObjectStore (a folder every node would see);
// the S3 one is held to the same behaviour by its own suite.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>

#include "mlpipe/base/sha256.h"
#include "mlpipe/store/object_store.h"
#include "mlpipe/store/test_util.h"

namespace mlpipe::store {
namespace {

using testing::ModeOf;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// What the nodes' tiers share: the shared store, what moved, injected faults.
struct SharedTestStore {
  ObjectStore* store = nullptr;
  std::atomic<int> fetches{0};
  std::atomic<int> pushes{0};
  bool fail_fetch = false;
  bool fail_push = false;
};

// One node's tier onto a shared store that is another ObjectStore: Fetch
// copies from it into the node's store, Push from the node's store into it.
class StoreBackedTier : public RemoteTier {
 public:
  StoreBackedTier(SharedTestStore& shared, ObjectStore& local) : shared_(shared), local_(local) {}
  Status Fetch(std::string_view ref) override {
    ++shared_.fetches;
    if (shared_.fail_fetch) return UnavailableError("the endpoint does not answer");
    ASSIGN_OR_RETURN(std::string path, shared_.store->Materialize(ref));
    ASSIGN_OR_RETURN(StoredObject got, local_.Put(path, PutMode::kCopy));
    if (got.ref != ref) return DataLossError(fmt::format("{} arrived as {}", ref, got.ref));
    return OkStatus();
  }
  Status Push(std::string_view ref) override {
    ++shared_.pushes;
    if (shared_.fail_push) return UnavailableError("the endpoint does not answer");
    ASSIGN_OR_RETURN(std::string path, local_.Materialize(ref));
    return shared_.store->Put(path, PutMode::kCopy).status();
  }
  std::string Describe() const override { return "the shared test store"; }

 private:
  SharedTestStore& shared_;
  ObjectStore& local_;
};

// Two nodes' stores (alice's and bob's workspaces) and the store they share.
class RemoteTierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    shared_ = Open("shared");
    state_.store = shared_.get();
    alice_ = Open("alice");
    bob_ = Open("bob");
    alice_tier_ = std::make_unique<StoreBackedTier>(state_, *alice_);
    bob_tier_ = std::make_unique<StoreBackedTier>(state_, *bob_);
    alice_->SetRemote(alice_tier_.get());
    bob_->SetRemote(bob_tier_.get());
  }
  std::unique_ptr<ObjectStore> Open(const std::string& name) {
    auto ws = Workspace::OpenOrCreate(dir_.Sub(name), dir_.Sub(name + "/.mlpipe"));
    EXPECT_TRUE(ws.ok()) << ws.status().ToString();
    workspaces_.push_back(std::make_unique<Workspace>(*ws));
    auto store = ObjectStore::Open(*workspaces_.back());
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(*store);
  }

  TempDir dir_;
  std::vector<std::unique_ptr<Workspace>> workspaces_;
  std::unique_ptr<ObjectStore> shared_, alice_, bob_;
  SharedTestStore state_;
  std::unique_ptr<StoreBackedTier> alice_tier_, bob_tier_;
};

TEST_F(RemoteTierTest, PutSharesTheObjectBeforeItReturns) {
  WriteFile(dir_.Sub("model.bin"), "weights");
  auto stored = alice_->Put(dir_.Sub("model.bin"), PutMode::kCopy);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(state_.pushes, 1);
  EXPECT_TRUE(shared_->Contains(stored->ref));
  EXPECT_EQ(state_.fetches, 0) << "storing new content asks the shared store for nothing";
}

TEST_F(RemoteTierTest, AnotherNodeFetchesWhatItLacksOnceAndKeepsIt) {
  WriteFile(dir_.Sub("out/model.bin"), "weights");
  WriteFile(dir_.Sub("out/run.sh"), "#!/bin/sh\necho hi\n", 0755);
  WriteFile(dir_.Sub("out/sub/meta.json"), "{}");
  auto folder = alice_->Put(dir_.Sub("out"), PutMode::kCopy);
  ASSERT_TRUE(folder.ok()) << folder.status().ToString();

  EXPECT_EQ(bob_->Check(folder->ref).integrity, Integrity::kIntact);
  EXPECT_EQ(state_.fetches, 1);
  auto tree = bob_->Materialize(folder->ref);
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_EQ(ReadFile(*tree + "/model.bin"), "weights");
  EXPECT_EQ(ModeOf(*tree + "/run.sh") & 0111, 0111u) << "the executable bit travels";
  EXPECT_TRUE(bob_->Contains(folder->ref));
  ASSERT_TRUE(bob_->CopyOut(folder->ref, dir_.Sub("bob-copy")).ok());
  EXPECT_EQ(ReadFile(dir_.Sub("bob-copy/sub/meta.json")), "{}");
  EXPECT_EQ(state_.fetches, 1) << "a cached object is never fetched twice";
  // What bob fetched it does not send back.
  EXPECT_EQ(state_.pushes, 1);
}

TEST_F(RemoteTierTest, AnObjectNobodyHasIsNotFound) {
  const std::string ref = "sha256:" + Sha256Hex("never stored");
  EXPECT_FALSE(bob_->Contains(ref));
  EXPECT_EQ(bob_->Check(ref).integrity, Integrity::kAbsent);
  EXPECT_EQ(bob_->Materialize(ref).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(bob_->CopyOut(ref, dir_.Sub("x")).code(), StatusCode::kNotFound);
}

TEST_F(RemoteTierTest, AFailedFetchSaysWhyAndLeavesNothing) {
  WriteFile(dir_.Sub("a.txt"), "shared");
  auto stored = alice_->Put(dir_.Sub("a.txt"), PutMode::kCopy);
  ASSERT_TRUE(stored.ok());
  state_.fail_fetch = true;
  auto path = bob_->Materialize(stored->ref);
  ASSERT_FALSE(path.ok());
  EXPECT_EQ(path.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(path.status().message().find("from the shared test store"), std::string::npos)
      << path.status().message();
  EXPECT_NE(bob_->Check(stored->ref).detail.find("does not answer"), std::string::npos);
  state_.fail_fetch = false;
  EXPECT_TRUE(bob_->Materialize(stored->ref).ok()) << "the next ask fetches it";
}

TEST_F(RemoteTierTest, APutThatCannotBeSharedFails) {
  state_.fail_push = true;
  WriteFile(dir_.Sub("b.txt"), "not shared");
  auto stored = alice_->Put(dir_.Sub("b.txt"), PutMode::kCopy);
  ASSERT_FALSE(stored.ok());
  EXPECT_NE(stored.status().message().find("sending sha256:"), std::string::npos)
      << stored.status().message();
  EXPECT_FALSE(shared_->Contains("sha256:" + Sha256Hex("not shared")));
}

}  // namespace
}  // namespace mlpipe::store
