#include "mlpipe/store/memory_s3_client.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"

namespace mlpipe::store {
namespace {

int64_t MemoryS3Now() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

MemoryS3Client::MemoryS3Client(S3Config config) : config_(std::move(config)) {
  if (config_.bucket.empty()) config_.bucket = "memory";
}

std::string MemoryS3Client::Describe() const {
  return fmt::format("memory bucket {}{}", config_.bucket,
                     config_.prefix.empty() ? "" : fmt::format(" prefix {}", config_.prefix));
}

Status MemoryS3Client::Enter(S3Op op) {
  ++calls_[op];
  auto it = failures_.find(op);
  if (it == failures_.end() || it->second.first <= 0) return OkStatus();
  --it->second.first;
  if (!it->second.second.ok()) return it->second.second;
  return UnavailableError(fmt::format("S3 {}: the server failed (HTTP 500 InternalError)", Describe()));
}

void MemoryS3Client::FailNext(S3Op op, int times, Status status) {
  std::lock_guard lock(mu_);
  failures_[op] = {times, std::move(status)};
}

void MemoryS3Client::FailPart(int part_number) {
  std::lock_guard lock(mu_);
  fail_part_ = part_number;
}

void MemoryS3Client::TruncateNextGet(uint64_t keep) {
  std::lock_guard lock(mu_);
  truncate_next_get_ = keep;
}

void MemoryS3Client::SetObject(const std::string& key, std::string content) {
  std::lock_guard lock(mu_);
  objects_[key] = std::move(content);
  modified_[key] = MemoryS3Now();
}

void MemoryS3Client::SetModified(const std::string& key, int64_t ns) {
  std::lock_guard lock(mu_);
  modified_[key] = ns;
}

std::optional<std::string> MemoryS3Client::Object(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

int MemoryS3Client::calls(S3Op op) const {
  std::lock_guard lock(mu_);
  auto it = calls_.find(op);
  return it == calls_.end() ? 0 : it->second;
}

int MemoryS3Client::multipart_started() const {
  std::lock_guard lock(mu_);
  return multipart_started_;
}

int MemoryS3Client::multipart_aborted() const {
  std::lock_guard lock(mu_);
  return multipart_aborted_;
}

Status MemoryS3Client::PutObject(const std::string& key, const std::string& path,
                                 std::string_view sha256_hex) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFoundError(fmt::format("uploading {}: cannot open it", path));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string content = ss.str();
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter(S3Op::kPut));
  if (content.size() > config_.multipart_threshold) {
    ++multipart_started_;
    const uint64_t part = std::max<uint64_t>(config_.part_size, 1);
    const int parts = static_cast<int>((content.size() + part - 1) / part);
    if (fail_part_ > 0 && fail_part_ <= parts) {
      const int failed = std::exchange(fail_part_, 0);
      ++multipart_aborted_;
      return UnavailableError(
          fmt::format("S3 PUT part {} of {} at {}: the server failed (HTTP 500); upload "
                      "aborted",
                      failed, key, Describe()));
    }
  }
  if (const std::string got = Sha256Hex(content); got != sha256_hex) {
    return DataLossError(
        fmt::format("S3 PUT {} at {}: the body hashes to sha256:{}, not sha256:{} "
                    "(XAmzContentSHA256Mismatch)",
                    key, Describe(), got, sha256_hex));
  }
  objects_[key] = std::move(content);
  modified_[key] = MemoryS3Now();
  return OkStatus();
}

StatusOr<S3GetResult> MemoryS3Client::GetObject(const std::string& key, const std::string& dest) {
  std::string content;
  {
    std::lock_guard lock(mu_);
    RETURN_IF_ERROR(Enter(S3Op::kGet));
    auto it = objects_.find(key);
    if (it == objects_.end()) return NotFoundError(fmt::format("S3 {}: no object {}", Describe(), key));
    content = it->second;
    if (truncate_next_get_) {
      content.resize(std::min<uint64_t>(content.size(), *truncate_next_get_));
      truncate_next_get_.reset();
    }
  }
  const std::string part = dest + ".part";
  {
    std::ofstream out(part, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) return InternalError(fmt::format("writing {}", part));
  }
  if (std::rename(part.c_str(), dest.c_str()) != 0)
    return ErrnoError(fmt::format("renaming {}", part), errno);
  return S3GetResult{content.size(), Sha256Hex(content)};
}

StatusOr<std::optional<uint64_t>> MemoryS3Client::HeadObject(const std::string& key) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter(S3Op::kHead));
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::optional<uint64_t>();
  return std::optional<uint64_t>(it->second.size());
}

StatusOr<std::vector<S3ObjectEntry>> MemoryS3Client::ListObjects(const std::string& prefix) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter(S3Op::kList));
  std::vector<S3ObjectEntry> out;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && StartsWith(it->first, prefix); ++it) {
    auto modified = modified_.find(it->first);
    out.push_back({it->first, it->second.size(), modified == modified_.end() ? 0 : modified->second});
  }
  return out;
}

Status MemoryS3Client::DeleteObject(const std::string& key) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(Enter(S3Op::kDelete));
  objects_.erase(key);
  modified_.erase(key);
  return OkStatus();
}

Status MemoryS3Client::CheckBucket() {
  std::lock_guard lock(mu_);
  return Enter(S3Op::kCheck);
}

}  // namespace mlpipe::store
