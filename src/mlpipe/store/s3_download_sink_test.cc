#include "mlpipe/store/s3_download_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "mlpipe/base/sha256.h"
#include "mlpipe/store/test_util.h"

namespace mlpipe::store {
namespace {

TEST(DownloadSinkTest, HashesWhatWasWrittenAcrossManyWrites) {
  testing::TempDir dir;
  const std::string path = dir.Sub("body");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  // More than the writeback step, in uneven pieces.
  std::string body;
  for (int i = 0; body.size() < (size_t{9} << 20); ++i) body += std::string(1000 + i % 7777, static_cast<char>(i));
  {
    DownloadSink sink(fd);
    for (size_t off = 0; off < body.size(); off += 65537) {
      const size_t n = std::min<size_t>(65537, body.size() - off);
      ASSERT_TRUE(sink.WriteAt(off, body.data() + off, n));
    }
    auto hex = sink.Finish();
    ASSERT_TRUE(hex.ok()) << hex.status().ToString();
    EXPECT_EQ(*hex, Sha256Hex(body));
    EXPECT_EQ(sink.written(), body.size());
  }
  ::close(fd);
  EXPECT_EQ(testing::ReadFile(path), body);
}

TEST(DownloadSinkTest, RangesWrittenAtOnceFromSeveralThreadsHashAsOneBody) {
  testing::TempDir dir;
  const std::string path = dir.Sub("body");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  std::string body;
  for (int i = 0; body.size() < (size_t{5} << 20); ++i) body += std::to_string(i) + ";";
  const size_t range = 1 << 20;
  {
    DownloadSink sink(fd);
    std::vector<std::thread> writers;
    // The last range first, each written front to back in small pieces.
    for (size_t start = (body.size() - 1) / range * range;; start -= range) {
      writers.emplace_back([&, start] {
        const size_t end = std::min(start + range, body.size());
        for (size_t off = start; off < end; off += 4099) {
          EXPECT_TRUE(sink.WriteAt(off, body.data() + off, std::min<size_t>(4099, end - off)));
        }
      });
      if (start == 0) break;
    }
    for (auto& w : writers) w.join();
    EXPECT_EQ(*sink.Finish(), Sha256Hex(body));
    EXPECT_EQ(sink.written(), body.size());
  }
  ::close(fd);
  EXPECT_EQ(testing::ReadFile(path), body);
}

TEST(DownloadSinkTest, ResetStartsOverForARetriedRequest) {
  testing::TempDir dir;
  const std::string path = dir.Sub("body");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  {
    DownloadSink sink(fd);
    ASSERT_TRUE(sink.WriteAt(0, "half of a bo", 12));
    sink.Reset();
    ASSERT_TRUE(sink.WriteAt(0, "body", 4));
    EXPECT_EQ(*sink.Finish(), Sha256Hex("body"));
    EXPECT_EQ(sink.written(), 4u);
  }
  ::close(fd);
  EXPECT_EQ(testing::ReadFile(path), "body");
}

TEST(DownloadSinkTest, AnEmptyBodyHashesAsEmpty) {
  testing::TempDir dir;
  int fd = ::open(dir.Sub("body").c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  {
    DownloadSink sink(fd);
    EXPECT_EQ(*sink.Finish(), Sha256Hex(""));
  }
  ::close(fd);
}

}  // namespace
}  // namespace mlpipe::store
