// MemoryS3Client: an S3Client that keeps its objects in memory, for tests,
// with faults to inject: failed calls (a 500, an unreachable server), a
// multipart upload failing at one part, a body cut short. It checks uploads
// against their SHA-256 and splits large ones into parts, as S3 does.
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "mlpipe/store/s3_client.h"

namespace mlpipe::store {

enum class S3Op { kPut, kGet, kHead, kList, kDelete, kCheck };

class MemoryS3Client final : public S3Client {
 public:
  // Uses the config's bucket and prefix (for messages), multipart_threshold
  // and part_size.
  explicit MemoryS3Client(S3Config config = {});

  Status PutObject(const std::string& key, const std::string& path, std::string_view sha256_hex) override;
  StatusOr<S3GetResult> GetObject(const std::string& key, const std::string& dest) override;
  StatusOr<std::optional<uint64_t>> HeadObject(const std::string& key) override;
  StatusOr<std::vector<S3ObjectEntry>> ListObjects(const std::string& prefix) override;
  Status DeleteObject(const std::string& key) override;
  Status CheckBucket() override;
  std::string Describe() const override;

  // Faults. The next `times` calls of `op` fail with `status` (default: a
  // server error, Unavailable).
  void FailNext(S3Op op, int times, Status status = {});
  // The next multipart upload fails at part `part_number` (from 1) and is
  // aborted: no object appears.
  void FailPart(int part_number);
  // The next GetObject writes only the first `keep` bytes and reports
  // success, as a server that cuts a body short without saying so.
  void TruncateNextGet(uint64_t keep);

  // The objects, for tests to read or overwrite behind the client's back.
  void SetObject(const std::string& key, std::string content);
  std::optional<std::string> Object(const std::string& key) const;
  // An object's LastModified as listed (stamped with the system clock when
  // it is written), for tests of what an age decides.
  void SetModified(const std::string& key, int64_t ns);
  // Calls made of `op` (failed ones included).
  int calls(S3Op op) const;
  int multipart_started() const;
  int multipart_aborted() const;

 private:
  // Counts the call and returns its injected failure, if any.
  Status Enter(S3Op op);

  S3Config config_;
  mutable std::mutex mu_;
  std::map<std::string, std::string> objects_;  // key (without prefix) -> content
  std::map<std::string, int64_t> modified_;     // key -> LastModified, ns
  std::map<S3Op, int> calls_;
  std::map<S3Op, std::pair<int, Status>> failures_;
  int fail_part_ = 0;
  std::optional<uint64_t> truncate_next_get_;
  int multipart_started_ = 0;
  int multipart_aborted_ = 0;
};

}  // namespace mlpipe::store
