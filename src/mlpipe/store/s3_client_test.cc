// CurlS3Client against a real S3 endpoint (Ceph RGW, started by
// scripts/services/with_services.sh): the RemoteObjects conformance suite,
// and the errors a wrong configuration gets. Without MLPIPE_TEST_S3_ENDPOINT
// these skip, saying why.
#include <cstdlib>
#include <filesystem>

#include "mlpipe/base/sha256.h"

#include "mlpipe/store/remote_objects_conformance.h"
#include "mlpipe/store/s3_client.h"

namespace mlpipe::store::testing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

std::string RgwSkipReason() {
  if (!Env("MLPIPE_TEST_S3_ENDPOINT").empty()) return "";
  std::string why = Env("MLPIPE_S3_UNAVAILABLE");
  return "no S3 endpoint: " + (why.empty() ? "MLPIPE_TEST_S3_ENDPOINT is not set (run under "
                                             "scripts/services/with_services.sh)"
                                           : why);
}

S3Config RgwConfig(S3Config config = {}) {
  config.endpoint = Env("MLPIPE_TEST_S3_ENDPOINT");
  config.access_key = Env("MLPIPE_TEST_S3_ACCESS_KEY");
  config.secret_key = Env("MLPIPE_TEST_S3_SECRET_KEY");
  config.bucket = Env("MLPIPE_TEST_S3_BUCKET");
  return config;
}

RemoteBackend RgwBackend() {
  return {"Rgw", RgwSkipReason, [](S3Config config) { return NewCurlS3Client(RgwConfig(config)); }};
}

INSTANTIATE_TEST_SUITE_P(Rgw, RemoteObjectsConformance, ::testing::Values(RgwBackend()),
                         [](const auto& info) { return info.param.name; });

class CurlS3ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = RgwSkipReason(); !why.empty()) GTEST_SKIP() << why;
  }
};

TEST_F(CurlS3ClientTest, WrongSecretIsOneClearErrorWithoutTheSecret) {
  S3Config config = RgwConfig();
  config.secret_key = "not-the-secret-0123456789";
  auto client = NewCurlS3Client(config);
  Status s = client->CheckBucket();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find(config.endpoint), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(config.bucket), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("SignatureDoesNotMatch"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find(config.secret_key), std::string::npos);
  EXPECT_EQ(s.message().find(RgwConfig().secret_key), std::string::npos);
}

TEST_F(CurlS3ClientTest, UnknownAccessKeyIsOneClearError) {
  S3Config config = RgwConfig();
  config.access_key = "nosuchaccesskey";
  Status s = NewCurlS3Client(config)->CheckBucket();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("InvalidAccessKeyId"), std::string::npos) << s.message();
}

TEST_F(CurlS3ClientTest, MissingBucketIsOneClearError) {
  S3Config config = RgwConfig();
  config.bucket = "mlpipe-no-such-bucket";
  Status s = NewCurlS3Client(config)->CheckBucket();
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("NoSuchBucket"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("mlpipe-no-such-bucket"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(config.endpoint), std::string::npos) << s.message();
}

TEST_F(CurlS3ClientTest, ListingFollowsContinuations) {
  S3Config config = RgwConfig();
  config.prefix = UniqueTestPrefix();
  config.list_page_size = 2;
  auto client = NewCurlS3Client(config);
  TempDir dir;
  const std::string file = dir.Write("f", "x");
  const std::string hex = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";  // of "x"
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(client->PutObject("k/" + std::to_string(i), file, hex).ok());
  auto listed = client->ListObjects("k/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 5u);
  EXPECT_EQ((*listed)[0].key, "k/0");
  EXPECT_EQ((*listed)[4].size, 1u);
  for (const auto& o : *listed) EXPECT_TRUE(client->DeleteObject(o.key).ok());
  EXPECT_TRUE(client->ListObjects("k/")->empty());
}

TEST_F(CurlS3ClientTest, DownloadsInRangesAndEmptyObjects) {
  S3Config config = RgwConfig();
  config.prefix = UniqueTestPrefix();
  config.download_chunk_size = 1 << 20;
  config.download_parallelism = 3;
  auto client = NewCurlS3Client(config);
  TempDir dir;
  std::string body;
  for (int i = 0; body.size() < (size_t{11} << 19); ++i) body += std::to_string(int64_t{i} * 7919) + ",";
  for (const std::string& content : {body, std::string(), std::string("x"), std::string(size_t{1} << 20, 'y')}) {
    const std::string file = dir.Write("f", content);
    ASSERT_TRUE(client->PutObject("k", file, Sha256Hex(content)).ok());
    auto got = client->GetObject("k", dir.Sub("got"));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(got->size, content.size());
    EXPECT_EQ(got->sha256_hex, Sha256Hex(content));
    EXPECT_EQ(ReadFile(dir.Sub("got")), content);
  }
  EXPECT_TRUE(client->DeleteObject("k").ok());
  EXPECT_EQ(client->GetObject("k", dir.Sub("gone")).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("gone")));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("gone.part")));
}

// Needs no server: nothing listens on port 1.
TEST(CurlS3ClientUnreachableTest, UnreachableEndpointIsOneClearError) {
  S3Config config;
  config.endpoint = "http://127.0.0.1:1";
  config.bucket = "artifacts";
  config.access_key = "key";
  config.secret_key = "secret-never-shown";
  config.max_attempts = 1;
  Status s = NewCurlS3Client(config)->CheckBucket();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("http://127.0.0.1:1"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("artifacts"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("secret-never-shown"), std::string::npos);
}

}  // namespace
}  // namespace mlpipe::store::testing
