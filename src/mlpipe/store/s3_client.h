// S3Client: the few S3 operations the remote object store needs, behind an
// interface so tests swap in a memory-backed fake with injected faults
// (memory_s3_client.h) and production uses libcurl (CurlS3Client).
//
// Keys are relative to the client's prefix (S3Config::prefix): "blobs/a"
// with prefix "team/" is the object "team/blobs/a" in the bucket.
//
// Errors, the same from every backend:
//   NotFound            the key (GetObject, DeleteObject is OK on a missing key)
//                       or, with "NoSuchBucket" in the message, the bucket;
//   FailedPrecondition  wrong access key or secret, or access denied;
//   Unavailable         the endpoint cannot be reached, or answered 5xx;
//   DataLoss            the body does not hash to the SHA-256 it was sent with;
//   Internal            anything else the server said (its code and message).
// Every message names the endpoint and the bucket; none ever holds the secret.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::store {

struct S3Config {
  std::string endpoint;  // "http://127.0.0.1:7480" (path-style requests)
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix;  // prepended to every key; "" or ending in '/'
  std::string access_key;
  std::string secret_key;  // never printed
  // Objects larger than this go up in parts (multipart upload). One PUT
  // is as fast as curl's; parts cost the server more per byte (Ceph RGW:
  // 256 MiB in 16 MiB parts, 4 in flight, ~0.7x of one PUT, 2026-12-07), so
  // only objects too big to resend whole on a failure go in parts.
  uint64_t multipart_threshold = uint64_t{1} << 30;
  // The size of each part but the last; S3 wants at least 5 MiB.
  uint64_t part_size = uint64_t{64} << 20;
  // Parts of one multipart upload in flight at once (each on its own
  // connection): S3 servers answer a part with latency a single stream
  // leaves unused.
  int upload_parallelism = 4;
  // Downloads go as ranges of this size, `download_parallelism` in flight
  // (one request for an object no larger than a range).
  uint64_t download_chunk_size = uint64_t{32} << 20;
  int download_parallelism = 2;
  // Keys per ListObjectsV2 page (S3's maximum is 1000).
  int list_page_size = 1000;
  // Connecting gives up after this; a transfer slower than 1 KiB/s for
  // `stall_timeout_ms` is abandoned.
  int64_t connect_timeout_ms = 10'000;
  int64_t stall_timeout_ms = 60'000;
  // Attempts of one request that failed to connect or got a 5xx answer.
  int max_attempts = 3;
};

// What GetObject wrote.
struct S3GetResult {
  uint64_t size = 0;
  std::string sha256_hex;  // of the bytes written to the file
};

struct S3ObjectEntry {
  std::string key;  // relative to the prefix
  uint64_t size = 0;
  int64_t modified_ns = 0;  // LastModified, ns since the epoch (0: the server gave none)
};

class S3Client {
 public:
  virtual ~S3Client() = default;

  // Uploads the file at `path`, whose SHA-256 is `sha256_hex`; the server
  // checks the bytes against it (DataLoss on a mismatch, and nothing is
  // stored). Files above the multipart threshold go up in parts; a failed
  // multipart upload is aborted, so no part lingers and no object appears.
  virtual Status PutObject(const std::string& key, const std::string& path, std::string_view sha256_hex) = 0;
  // Downloads the object to `dest`: written beside it and renamed into place,
  // so `dest` is whole or untouched. Hashes the bytes as they arrive.
  virtual StatusOr<S3GetResult> GetObject(const std::string& key, const std::string& dest) = 0;
  // The object's size, nullopt if there is none.
  virtual StatusOr<std::optional<uint64_t>> HeadObject(const std::string& key) = 0;
  // Every object whose key starts with `prefix` (following continuations),
  // in key order.
  virtual StatusOr<std::vector<S3ObjectEntry>> ListObjects(const std::string& prefix) = 0;
  // Removes the object; OK if it is not there.
  virtual Status DeleteObject(const std::string& key) = 0;
  // Whether the bucket exists and the credentials may list it: the one call
  // that tells a wrong secret, a missing bucket and a dead endpoint apart
  // before anything else runs.
  virtual Status CheckBucket() = 0;
  // "http://host:port bucket b prefix p/": where the objects are, for messages.
  virtual std::string Describe() const = 0;
};

// S3 over libcurl with AWS Signature V4 (CURLOPT_AWS_SIGV4), path-style URLs.
// Uploads send the content's SHA-256 as x-amz-content-sha256, so the server
// verifies each body; requests whose body is not object content send
// UNSIGNED-PAYLOAD. Connections are kept alive: a pool of curl handles, one
// per concurrent request.
std::unique_ptr<S3Client> NewCurlS3Client(S3Config config);

}  // namespace mlpipe::store
