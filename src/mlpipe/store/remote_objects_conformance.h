// The RemoteObjects conformance suite (remote_objects_conformance.cc), run
// against every S3Client backend: instantiate it with a RemoteBackend
//   INSTANTIATE_TEST_SUITE_P(Memory, RemoteObjectsConformance, ::testing::Values(MemoryBackend()), ...);
// Two workspaces stand for two nodes: `a` pushes, `b` fetches. Each test's
// keys live under their own prefix (pid + counter), so test processes that
// share a bucket never see each other's objects.
#pragma once

#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "mlpipe/store/remote_objects.h"
#include "mlpipe/store/s3_client.h"
#include "mlpipe/store/test_util.h"

namespace mlpipe::store::testing {

struct RemoteBackend {
  std::string name;
  // Why the backend cannot run here; empty when it can.
  std::function<std::string()> skip_reason;
  // A client for `config` (prefix, multipart sizes set by the test; the
  // backend fills in where and who).
  std::function<std::unique_ptr<S3Client>(S3Config config)> make;
};

// A key prefix no other test (or test process) uses.
inline std::string UniqueTestPrefix() {
  static std::atomic<int> counter{0};
  return "mlpipe-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "/";
}

// One node: a workspace, its object store, and a RemoteObjects over it.
struct RemoteNode {
  TempDir dir;
  std::unique_ptr<Workspace> ws;
  std::unique_ptr<ObjectStore> store;
  std::unique_ptr<RemoteObjects> remote;

  void Open(S3Client& client) {
    auto opened_ws = Workspace::OpenOrCreate(dir.path(), dir.Sub(".mlpipe"));
    ASSERT_TRUE(opened_ws.ok()) << opened_ws.status().ToString();
    ws = std::make_unique<Workspace>(*opened_ws);
    auto opened = ObjectStore::Open(*ws);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store = std::move(*opened);
    remote = std::make_unique<RemoteObjects>(client, *store);
  }
  // Stores what `rel` names under this node's folder; returns its ref.
  std::string Put(const std::string& rel) {
    auto stored = store->Put(dir.Sub(rel), PutMode::kCopy);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
    return stored.ok() ? stored->ref : "";
  }
};

class RemoteObjectsConformance : public ::testing::TestWithParam<RemoteBackend> {
 protected:
  void SetUp() override {
    if (std::string why = GetParam().skip_reason(); !why.empty()) GTEST_SKIP() << why;
    config_.prefix = UniqueTestPrefix();
    // Small parts (S3's minimum is 5 MiB), so a test file goes up in three.
    config_.multipart_threshold = uint64_t{5} << 20;
    config_.part_size = uint64_t{5} << 20;
    client_ = GetParam().make(config_);
    ASSERT_NE(client_, nullptr);
    ASSERT_TRUE(client_->CheckBucket().ok()) << client_->CheckBucket().ToString();
    a_.Open(*client_);
    b_.Open(*client_);
  }
  void TearDown() override {
    if (client_ == nullptr) return;
    auto keys = client_->ListObjects("");
    if (keys.ok()) {
      for (const auto& k : *keys) (void)client_->DeleteObject(k.key);
    }
  }

  S3Config config_;
  std::unique_ptr<S3Client> client_;
  RemoteNode a_;  // pushes
  RemoteNode b_;  // fetches
};

}  // namespace mlpipe::store::testing
