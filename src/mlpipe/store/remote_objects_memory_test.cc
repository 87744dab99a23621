// RemoteObjects over the in-memory S3 fake: the conformance suite, and the
// faults only a fake can inject (a failed part, a 500, a body cut short).
#include "mlpipe/store/memory_s3_client.h"
#include "mlpipe/store/remote_objects_conformance.h"

namespace mlpipe::store::testing {
namespace {

RemoteBackend MemoryBackend() {
  return {"Memory", [] { return std::string(); },
          [](S3Config config) -> std::unique_ptr<S3Client> { return std::make_unique<MemoryS3Client>(config); }};
}

INSTANTIATE_TEST_SUITE_P(Memory, RemoteObjectsConformance, ::testing::Values(MemoryBackend()),
                         [](const auto& info) { return info.param.name; });

class RemoteObjectsFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    S3Config config;
    config.multipart_threshold = 1000;
    config.part_size = 400;
    client_ = std::make_unique<MemoryS3Client>(config);
    a_.Open(*client_);
    b_.Open(*client_);
  }
  std::unique_ptr<MemoryS3Client> client_;
  RemoteNode a_;
  RemoteNode b_;
};

TEST_F(RemoteObjectsFaultTest, AFailedPartAbortsTheUploadAndAPushAgainCompletesIt) {
  a_.dir.Write("big", std::string(2500, 'b'));
  const std::string ref = a_.Put("big");
  client_->FailPart(2);
  Status s = a_.remote->Push(ref);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_EQ(client_->multipart_aborted(), 1);
  EXPECT_FALSE(*a_.remote->Contains(ref));
  ASSERT_TRUE(a_.remote->Push(ref).ok());
  EXPECT_EQ(client_->multipart_started(), 2);
  EXPECT_TRUE(*a_.remote->Contains(ref));
}

TEST_F(RemoteObjectsFaultTest, AFailedBlobUploadLeavesNoManifest) {
  a_.dir.Write("d/x", "x");
  a_.dir.Write("d/y", "y");
  const std::string folder = a_.Put("d");
  client_->FailNext(S3Op::kPut, 1);
  EXPECT_EQ(a_.remote->Push(folder).code(), StatusCode::kUnavailable);
  EXPECT_FALSE(client_->Object(RemoteManifestKey(folder.substr(kRefPrefix.size()))).has_value());
  EXPECT_EQ(b_.remote->Fetch(folder).code(), StatusCode::kNotFound);
  // Pushing again uploads the rest, manifest last.
  ASSERT_TRUE(a_.remote->Push(folder).ok());
  EXPECT_EQ(a_.remote->counters().uploads, 3u);
  ASSERT_TRUE(b_.remote->Fetch(folder).ok());
}

TEST_F(RemoteObjectsFaultTest, ABodyCutShortIsDetectedAndNotCached) {
  a_.dir.Write("f", "twenty bytes of data");
  const std::string ref = a_.Put("f");
  ASSERT_TRUE(a_.remote->Push(ref).ok());
  client_->TruncateNextGet(5);
  EXPECT_EQ(b_.remote->Fetch(ref).code(), StatusCode::kDataLoss);
  EXPECT_FALSE(b_.store->Contains(ref));
  ASSERT_TRUE(b_.remote->Fetch(ref).ok());
  EXPECT_TRUE(b_.store->Check(ref).ok());
}

TEST_F(RemoteObjectsFaultTest, AServerErrorOnDownloadStoresNothing) {
  a_.dir.Write("f", "content");
  const std::string ref = a_.Put("f");
  ASSERT_TRUE(a_.remote->Push(ref).ok());
  client_->FailNext(S3Op::kGet, 1);
  EXPECT_EQ(b_.remote->Fetch(ref).code(), StatusCode::kUnavailable);
  EXPECT_FALSE(b_.store->Contains(ref));
  ASSERT_TRUE(b_.remote->Fetch(ref).ok());
}

TEST_F(RemoteObjectsFaultTest, ADamagedLocalCopyIsReplacedFromTheRemoteStore) {
  a_.dir.Write("f", "content");
  const std::string ref = a_.Put("f");
  ASSERT_TRUE(a_.remote->Push(ref).ok());
  ASSERT_TRUE(b_.remote->Fetch(ref).ok());
  const std::string blob = b_.ws->BlobPath(ref.substr(kRefPrefix.size()));
  ASSERT_EQ(::chmod(blob.c_str(), 0644), 0);
  WriteFile(blob, "CONTENT");
  ASSERT_TRUE(b_.remote->Fetch(ref).ok());
  EXPECT_EQ(ReadFile(blob), "content");
  EXPECT_EQ(b_.remote->counters().downloads, 2u);
}

TEST_F(RemoteObjectsFaultTest, ADamagedLocalObjectIsNotPushed) {
  a_.dir.Write("f", "content");
  const std::string ref = a_.Put("f");
  const std::string blob = a_.ws->BlobPath(ref.substr(kRefPrefix.size()));
  ASSERT_EQ(::chmod(blob.c_str(), 0644), 0);
  WriteFile(blob, "CONTENT");
  EXPECT_EQ(a_.remote->Push(ref).code(), StatusCode::kDataLoss);
  EXPECT_EQ(client_->calls(S3Op::kPut), 0);
}

}  // namespace
}  // namespace mlpipe::store::testing
