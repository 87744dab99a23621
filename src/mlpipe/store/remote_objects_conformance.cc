// The RemoteObjects conformance tests; see remote_objects_conformance.h.
#include "mlpipe/store/remote_objects_conformance.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

#include "mlpipe/base/sha256.h"

namespace mlpipe::store::testing {
namespace {

// `n` bytes that differ from block to block (so parts differ too).
std::string Pattern(size_t n, uint8_t seed) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u + seed;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s[i] = static_cast<char>(x);
  }
  return s;
}

std::vector<std::string> TmpEntries(const Workspace& ws) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(ws.TmpDir())) out.push_back(e.path().string());
  return out;
}

TEST_P(RemoteObjectsConformance, FileRoundTrip) {
  a_.dir.Write("model.bin", "weights");
  const std::string ref = a_.Put("model.bin");
  ASSERT_TRUE(a_.remote->Push(ref).ok());
  EXPECT_EQ(a_.remote->counters().uploads, 1u);
  EXPECT_EQ(a_.remote->counters().bytes_uploaded, 7u);

  ASSERT_FALSE(b_.store->Contains(ref));
  Status s = b_.remote->Fetch(ref);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(b_.store->Check(ref).ok());
  EXPECT_EQ(ReadFile(b_.ws->BlobPath(ref.substr(kRefPrefix.size()))), "weights");
  EXPECT_EQ(b_.remote->counters().downloads, 1u);
  EXPECT_TRUE(TmpEntries(*b_.ws).empty());
}

TEST_P(RemoteObjectsConformance, EmptyFileRoundTrip) {
  a_.dir.Write("empty", "");
  const std::string ref = a_.Put("empty");
  ASSERT_TRUE(a_.remote->Push(ref).ok());
  ASSERT_TRUE(b_.remote->Fetch(ref).ok());
  EXPECT_TRUE(b_.store->Check(ref).ok());
}

TEST_P(RemoteObjectsConformance, FolderRoundTripKeepsNestingEmptyFoldersAndExecutableBits) {
  a_.dir.Write("out/a.txt", "alpha");
  a_.dir.Write("out/same.txt", "alpha");  // one blob for two files
  a_.dir.Write("out/sub/deeper/b.txt", "beta");
  a_.dir.Write("out/empty-file", "");
  WriteFile(a_.dir.Sub("out/run.sh"), "#!/bin/sh\necho hi\n", 0755);
  std::filesystem::create_directories(a_.dir.Sub("out/empty/inner"));
  const std::string ref = a_.Put("out");
  ASSERT_TRUE(a_.remote->Push(ref).ok());
  // Four distinct blobs, then the manifest.
  EXPECT_EQ(a_.remote->counters().uploads, 5u);

  Status s = b_.remote->Fetch(ref);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(b_.store->Check(ref).ok()) << b_.store->Check(ref).detail;
  const std::string copy = b_.dir.Sub("copy");
  ASSERT_TRUE(b_.store->CopyOut(ref, copy).ok());
  EXPECT_EQ(ReadFile(copy + "/a.txt"), "alpha");
  EXPECT_EQ(ReadFile(copy + "/same.txt"), "alpha");
  EXPECT_EQ(ReadFile(copy + "/sub/deeper/b.txt"), "beta");
  EXPECT_EQ(ReadFile(copy + "/empty-file"), "");
  EXPECT_EQ(ModeOf(copy + "/run.sh") & 0100, 0100u);
  EXPECT_EQ(ModeOf(copy + "/a.txt") & 0100, 0u);
  EXPECT_TRUE(std::filesystem::is_directory(copy + "/empty/inner"));
  auto contains = b_.remote->Contains(ref);
  ASSERT_TRUE(contains.ok());
  EXPECT_TRUE(*contains);
}

TEST_P(RemoteObjectsConformance, SecondPushUploadsNothing) {
  a_.dir.Write("f", "file");
  a_.dir.Write("d/x", "x");
  a_.dir.Write("d/y", "y");
  const std::string file = a_.Put("f");
  const std::string folder = a_.Put("d");
  ASSERT_TRUE(a_.remote->Push(file).ok());
  ASSERT_TRUE(a_.remote->Push(folder).ok());
  const RemoteCounters first = a_.remote->counters();
  EXPECT_EQ(first.uploads, 4u);
  // Another node holding the same content finds it there.
  b_.dir.Write("f", "file");
  ASSERT_TRUE(b_.remote->Push(b_.Put("f")).ok());
  ASSERT_TRUE(a_.remote->Push(file).ok());
  ASSERT_TRUE(a_.remote->Push(folder).ok());
  EXPECT_EQ(a_.remote->counters().uploads, first.uploads);
  EXPECT_EQ(a_.remote->counters().upload_skips, first.upload_skips + 2);
  EXPECT_EQ(b_.remote->counters().uploads, 0u);
}

TEST_P(RemoteObjectsConformance, FetchTwiceDownloadsOnce) {
  a_.dir.Write("d/x", "x");
  a_.dir.Write("f", "file");
  const std::string folder = a_.Put("d");
  const std::string file = a_.Put("f");
  ASSERT_TRUE(a_.remote->Push(folder).ok());
  ASSERT_TRUE(a_.remote->Push(file).ok());
  ASSERT_TRUE(b_.remote->Fetch(folder).ok());
  ASSERT_TRUE(b_.remote->Fetch(file).ok());
  const RemoteCounters first = b_.remote->counters();
  EXPECT_EQ(first.downloads, 3u);  // manifest, its blob, the file
  ASSERT_TRUE(b_.remote->Fetch(folder).ok());
  ASSERT_TRUE(b_.remote->Fetch(file).ok());
  EXPECT_EQ(b_.remote->counters().downloads, first.downloads);
  EXPECT_EQ(b_.remote->counters().fetch_hits, first.fetch_hits + 2);
}

TEST_P(RemoteObjectsConformance, FolderFetchDownloadsOnlyTheBlobsTheCacheLacks) {
  a_.dir.Write("d/x", "shared");
  a_.dir.Write("d/y", "only remote");
  const std::string folder = a_.Put("d");
  ASSERT_TRUE(a_.remote->Push(folder).ok());
  b_.dir.Write("x", "shared");
  b_.Put("x");
  ASSERT_TRUE(b_.remote->Fetch(folder).ok());
  EXPECT_EQ(b_.remote->counters().downloads, 2u);  // the manifest and y
  EXPECT_EQ(b_.remote->counters().fetch_hits, 1u);
  EXPECT_TRUE(b_.store->Check(folder).ok());
}

TEST_P(RemoteObjectsConformance, ConcurrentFetchesOfOneRefDownloadOnce) {
  a_.dir.Write("f", Pattern(100000, 1));
  const std::string ref = a_.Put("f");
  ASSERT_TRUE(a_.remote->Push(ref).ok());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      if (!b_.remote->Fetch(ref).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(b_.remote->counters().downloads, 1u);
  EXPECT_EQ(b_.remote->counters().fetch_hits, 3u);
}

TEST_P(RemoteObjectsConformance, CorruptedRemoteBlobIsDetectedAndNotCached) {
  a_.dir.Write("f", "the real content");
  const std::string ref = a_.Put("f");
  ASSERT_TRUE(a_.remote->Push(ref).ok());
  // Someone overwrites the blob with other bytes (of the same length).
  const std::string other = a_.dir.Write("other", "a fake  content!");
  ASSERT_TRUE(
      client_->PutObject(RemoteBlobKey(ref.substr(kRefPrefix.size())), other, Sha256Hex("a fake  content!"))
          .ok());
  Status s = b_.remote->Fetch(ref);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_NE(s.message().find("damaged"), std::string::npos) << s.message();
  EXPECT_FALSE(b_.store->Contains(ref));
  EXPECT_TRUE(TmpEntries(*b_.ws).empty());
  auto report = b_.remote->Verify(ref);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_EQ(report->problems[0].kind, ProblemKind::kDamaged);
}

TEST_P(RemoteObjectsConformance, VerifyOfIntactObjectsFindsNoProblem) {
  a_.dir.Write("d/x", "x");
  a_.dir.Write("d/y", "yy");
  const std::string folder = a_.Put("d");
  ASSERT_TRUE(a_.remote->Push(folder).ok());
  auto report = b_.remote->Verify(folder);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->folders_checked, 1u);
  EXPECT_EQ(report->blobs_checked, 2u);
  EXPECT_EQ(report->bytes_checked, 3u);
  EXPECT_FALSE(b_.store->Contains(folder));  // verifying stores nothing
}

TEST_P(RemoteObjectsConformance, MultipartUploadRoundTrip) {
  const std::string content = Pattern((uint64_t{11} << 20) + 123, 2);  // three parts
  a_.dir.Write("big", content);
  const std::string ref = a_.Put("big");
  Status pushed = a_.remote->Push(ref);
  ASSERT_TRUE(pushed.ok()) << pushed.ToString();
  auto size = client_->HeadObject(RemoteBlobKey(ref.substr(kRefPrefix.size())));
  ASSERT_TRUE(size.ok() && size->has_value());
  EXPECT_EQ(**size, content.size());
  ASSERT_TRUE(b_.remote->Fetch(ref).ok());
  EXPECT_TRUE(b_.store->Check(ref, /*rehash=*/true).ok());
}

TEST_P(RemoteObjectsConformance, UploadNotMatchingItsHashIsRefused) {
  const std::string small = a_.dir.Write("small", "small");
  Status s = client_->PutObject("blobs/x", small, Sha256Hex("other"));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  const std::string big = a_.dir.Write("big", Pattern((uint64_t{6} << 20), 3));
  s = client_->PutObject("blobs/y", big, Sha256Hex("other"));
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  for (const char* key : {"blobs/x", "blobs/y"}) {
    auto there = client_->HeadObject(key);
    ASSERT_TRUE(there.ok());
    EXPECT_FALSE(there->has_value()) << key;
  }
}

TEST_P(RemoteObjectsConformance, AbsentObjects) {
  const std::string ref = "sha256:" + Sha256Hex("never stored");
  EXPECT_EQ(b_.remote->Fetch(ref).code(), StatusCode::kNotFound);
  EXPECT_EQ(a_.remote->Push(ref).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(b_.remote->Remove(ref).code(), StatusCode::kNotFound);
  auto contains = b_.remote->Contains(ref);
  ASSERT_TRUE(contains.ok());
  EXPECT_FALSE(*contains);
  EXPECT_EQ(b_.remote->Verify(ref).status().code(), StatusCode::kNotFound);
}

TEST_P(RemoteObjectsConformance, ListAndRemoveAsTheLocalStoreDoes) {
  a_.dir.Write("f", "file");
  a_.dir.Write("d/x", "x");
  const std::string file = a_.Put("f");
  const std::string folder = a_.Put("d");
  const std::string x = "sha256:" + Sha256Hex("x");
  ASSERT_TRUE(a_.remote->Push(file).ok());
  ASSERT_TRUE(a_.remote->Push(folder).ok());
  auto listed = b_.remote->ListObjects();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 3u);
  int dirs = 0;
  for (const auto& o : *listed) {
    dirs += o.is_dir;
    EXPECT_TRUE(o.ref == file || o.ref == folder || o.ref == x) << o.ref;
    EXPECT_EQ(o.is_dir, o.ref == folder);
    // When it was written (gc keeps what is younger than its grace period):
    // the server's clock, so only roughly today's.
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    EXPECT_LT(std::llabs(o.modified_ns - now), int64_t{86'400} * 1'000'000'000) << o.ref;
  }
  EXPECT_EQ(dirs, 1);
  // A folder's removal keeps its blobs (gc decides about those).
  ASSERT_TRUE(b_.remote->Remove(folder).ok());
  EXPECT_FALSE(*b_.remote->Contains(folder));
  EXPECT_TRUE(*b_.remote->Contains(x));
  ASSERT_TRUE(b_.remote->Remove(x).ok());
  ASSERT_TRUE(b_.remote->Remove(file).ok());
  EXPECT_TRUE(b_.remote->ListObjects()->empty());
}

}  // namespace
}  // namespace mlpipe::store::testing
