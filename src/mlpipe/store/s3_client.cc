// CurlS3Client: S3Client over libcurl. One curl handle per concurrent
// request, kept in a pool so connections are reused (curl_easy_reset keeps a
// handle's live connections). libcurl 7.88 signs with CURLOPT_AWS_SIGV4 but
// neither adds x-amz-content-sha256 nor sorts the query: both are done here.
#include "mlpipe/store/s3_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/store/s3_download_sink.h"
#include "mlpipe/store/s3_xml.h"

namespace mlpipe::store {
namespace {

constexpr std::string_view kCurlUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr size_t kCurlMaxErrorBody = 1 << 20;
constexpr size_t kCurlHashChunk = 1 << 20;

// Percent-encodes as SigV4 wants: unreserved characters stay, the rest is
// %XX in upper case; '/' stays when `keep_slash` (a key in the path).
std::string CurlUriEncode(std::string_view s, bool keep_slash) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

// A file range a request sends (PUT), read with pread so parts of one file
// can go up from one descriptor.
struct CurlUpload {
  int fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t sent = 0;
};

struct CurlReply {
  CURLcode code = CURLE_OK;
  long http = 0;
  std::string body;
  std::string etag;
  std::string curl_error;
  int64_t content_length = -1;
  std::optional<uint64_t> total;  // from Content-Range: the whole object's size
};

// Where a 2xx answer's body goes: the sink, from `offset` on.
struct CurlRangeSink {
  DownloadSink* sink = nullptr;
  uint64_t offset = 0;
};

struct CurlRequest {
  std::string method = "GET";  // GET PUT HEAD DELETE POST
  std::string key;             // relative to the prefix; "" = the bucket itself
  std::string query;           // sorted, encoded
  std::string payload_sha256 = std::string(kCurlUnsignedPayload);
  CurlUpload* upload = nullptr;   // PUT
  std::string_view post_body;     // POST
  CurlRangeSink* sink = nullptr;  // GET: a 2xx body goes here (others to CurlReply::body)
  std::string range;              // GET: "FIRST-LAST" bytes
  int attempts = 0;               // 0: S3Config::max_attempts
  // Told the object's size as soon as a ranged answer's headers say it.
  std::function<void(uint64_t)> on_total;
};

struct CurlHeaderContext {
  CurlReply* reply;
  const std::function<void(uint64_t)>* on_total;
};

bool CurlHttpOk(long http) { return http >= 200 && http < 300; }

size_t CurlWriteCallback(char* data, size_t size, size_t n, void* user) {
  auto* ctx = static_cast<std::pair<CURL*, std::pair<CurlRangeSink*, CurlReply*>>*>(user);
  const size_t len = size * n;
  long http = 0;
  curl_easy_getinfo(ctx->first, CURLINFO_RESPONSE_CODE, &http);
  CurlRangeSink* sink = ctx->second.first;
  if (sink != nullptr && CurlHttpOk(http)) {
    if (!sink->sink->WriteAt(sink->offset, data, len)) return 0;  // curl stops: CURLE_WRITE_ERROR
    sink->offset += len;
    return len;
  }
  CurlReply* reply = ctx->second.second;
  if (reply->body.size() < kCurlMaxErrorBody) reply->body.append(data, len);
  return len;
}

size_t CurlHeaderCallback(char* data, size_t size, size_t n, void* user) {
  auto* ctx = static_cast<CurlHeaderContext*>(user);
  std::string_view line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    const std::string name = AsciiLower(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (name == "etag") ctx->reply->etag = std::string(value);
    // "bytes 0-33554431/268435456"
    if (auto slash = value.rfind('/'); name == "content-range" && slash != std::string_view::npos) {
      uint64_t total = 0;
      std::string_view digits = value.substr(slash + 1);
      if (std::from_chars(digits.data(), digits.data() + digits.size(), total).ec == std::errc()) {
        ctx->reply->total = total;
        if (*ctx->on_total) (*ctx->on_total)(total);
      }
    }
  }
  return size * n;
}

size_t CurlReadCallback(char* buf, size_t size, size_t n, void* user) {
  auto* up = static_cast<CurlUpload*>(user);
  size_t want = std::min<uint64_t>(size * n, up->length - up->sent);
  if (want == 0) return 0;
  ssize_t r;
  do {
    r = ::pread(up->fd, buf, want, static_cast<off_t>(up->offset + up->sent));
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return CURL_READFUNC_ABORT;  // the file shrank or cannot be read
  up->sent += static_cast<uint64_t>(r);
  return static_cast<size_t>(r);
}

bool CurlRetryable(const CurlReply& r) {
  switch (r.code) {
    case CURLE_OK:
      return r.http >= 500;
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
      return true;
    default:
      return false;
  }
}

// The hex SHA-256 of `length` bytes of `fd` from `offset`.
StatusOr<std::string> CurlHashRange(int fd, uint64_t offset, uint64_t length) {
  Sha256 hash;
  std::vector<char> buf(kCurlHashChunk);
  for (uint64_t done = 0; done < length;) {
    ssize_t n = ::pread(fd, buf.data(), std::min<uint64_t>(buf.size(), length - done),
                        static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return ErrnoError("pread", n < 0 ? errno : EIO);
    hash.Update(buf.data(), static_cast<size_t>(n));
    done += static_cast<uint64_t>(n);
  }
  return DigestHex(hash.Finish());
}

// Closes a descriptor when it goes out of scope.
struct CurlFd {
  int fd = -1;
  ~CurlFd() {
    if (fd >= 0) ::close(fd);
  }
};

class CurlS3Client final : public S3Client {
 public:
  explicit CurlS3Client(S3Config config) : config_(std::move(config)) {
    while (!config_.endpoint.empty() && config_.endpoint.back() == '/') config_.endpoint.pop_back();
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }
  ~CurlS3Client() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  Status PutObject(const std::string& key, const std::string& path, std::string_view sha256_hex) override;
  StatusOr<S3GetResult> GetObject(const std::string& key, const std::string& dest) override;
  StatusOr<std::optional<uint64_t>> HeadObject(const std::string& key) override;
  StatusOr<std::vector<S3ObjectEntry>> ListObjects(const std::string& prefix) override;
  Status DeleteObject(const std::string& key) override;
  Status CheckBucket() override;
  std::string Describe() const override {
    return fmt::format("{} bucket {}{}", config_.endpoint, config_.bucket,
                       config_.prefix.empty() ? "" : fmt::format(" prefix {}", config_.prefix));
  }

 private:
  CURL* Acquire();
  void Release(CURL* h);
  // One attempt of `req`.
  CurlReply PerformOnce(CURL* h, CurlRequest& req);
  // `req` with retries of transport failures and 5xx answers.
  CurlReply Perform(CurlRequest& req);
  // The Status of a failed reply to `op` on `key`.
  Status ReplyError(const CurlReply& r, std::string_view op, const std::string& key) const;
  Status PutMultipart(const std::string& key, int fd, uint64_t size, std::string_view sha256_hex);
  // One attempt at downloading `key` into `sink`; `*total` is its size.
  Status GetRanges(const std::string& key, DownloadSink& sink, uint64_t* total, bool* retryable);

  S3Config config_;
  std::mutex mu_;
  std::vector<CURL*> idle_;  // guarded by mu_
};

CURL* CurlS3Client::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      CURL* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void CurlS3Client::Release(CURL* h) {
  std::lock_guard lock(mu_);
  idle_.push_back(h);
}

CurlReply CurlS3Client::PerformOnce(CURL* h, CurlRequest& req) {
  CurlReply reply;
  curl_easy_reset(h);
  std::string url = fmt::format("{}/{}", config_.endpoint, config_.bucket);
  if (!req.key.empty()) url += fmt::format("/{}", CurlUriEncode(config_.prefix + req.key, true));
  if (!req.query.empty()) url += fmt::format("?{}", req.query);
  const std::string sigv4 = fmt::format("aws:amz:{}:s3", config_.region);
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, fmt::format("x-amz-content-sha256: {}", req.payload_sha256).c_str());
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::pair<CURL*, std::pair<CurlRangeSink*, CurlReply*>> write_ctx{h, {req.sink, &reply}};
  CurlHeaderContext header_ctx{&reply, &req.on_total};

  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(h, CURLOPT_USERNAME, config_.access_key.c_str());
  curl_easy_setopt(h, CURLOPT_PASSWORD, config_.secret_key.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout_ms));
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                   static_cast<long>(std::max<int64_t>(1, config_.stall_timeout_ms / 1000)));
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, CurlWriteCallback);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &write_ctx);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, CurlHeaderCallback);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &header_ctx);
  if (!req.range.empty()) curl_easy_setopt(h, CURLOPT_RANGE, req.range.c_str());
  if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (req.method == "PUT") {
    req.upload->sent = 0;
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, CurlReadCallback);
    curl_easy_setopt(h, CURLOPT_READDATA, req.upload);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.upload->length));
  } else if (req.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.post_body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.post_body.size()));
  } else if (req.method == "DELETE") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
  }
  reply.code = curl_easy_perform(h);
  curl_slist_free_all(headers);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.http);
  curl_off_t length = -1;
  curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
  reply.content_length = length;
  if (reply.code != CURLE_OK) {
    reply.curl_error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(reply.code);
    if (req.sink != nullptr && req.sink->sink->write_errno() != 0)
      reply.curl_error += fmt::format(" (writing: {})", std::strerror(req.sink->sink->write_errno()));
  }
  return reply;
}

CurlReply CurlS3Client::Perform(CurlRequest& req) {
  CURL* h = Acquire();
  CurlReply reply;
  for (int attempt = 1;; ++attempt) {
    reply = PerformOnce(h, req);
    if (!CurlRetryable(reply) || attempt >= (req.attempts > 0 ? req.attempts : config_.max_attempts)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << (attempt - 1)));
  }
  Release(h);
  return reply;
}

Status CurlS3Client::ReplyError(const CurlReply& r, std::string_view op, const std::string& key) const {
  const std::string& e = config_.endpoint;
  const std::string& b = config_.bucket;
  if (r.code != CURLE_OK) {
    return UnavailableError(fmt::format(
        "S3 {} {}: cannot reach the S3 endpoint {} (bucket {}): {}; is the server running, and is the "
        "endpoint URL right?",
        op, config_.prefix + key, e, b, r.curl_error));
  }
  S3ErrorBody err = ParseS3Error(r.body);
  const std::string said = err.code.empty() ? fmt::format("HTTP {}", r.http)
                                            : fmt::format("HTTP {} {}: {}", r.http, err.code, err.message);
  if (r.http == 403 || err.code == "InvalidAccessKeyId" || err.code == "SignatureDoesNotMatch") {
    return FailedPreconditionError(fmt::format(
        "S3 endpoint {} refused access to bucket {} ({}); check the access key and the secret, and "
        "that this user may use the bucket",
        e, b, said));
  }
  if (err.code == "NoSuchBucket") {
    return NotFoundError(fmt::format(
        "S3 endpoint {} has no bucket {} (NoSuchBucket); create the bucket or fix its name", e, b));
  }
  if (r.http == 404) {
    return NotFoundError(fmt::format("S3 {} bucket {}: no object {}", e, b, config_.prefix + key));
  }
  if (err.code == "XAmzContentSHA256Mismatch" || err.code == "BadDigest") {
    return DataLossError(fmt::format("S3 {} {} bucket {}: the body does not match its SHA-256 ({})", op,
                                     config_.prefix + key, b, said));
  }
  if (r.http >= 500) {
    return UnavailableError(fmt::format("S3 {} {} at {} bucket {}: the server failed ({})", op,
                                        config_.prefix + key, e, b, said));
  }
  return InternalError(fmt::format("S3 {} {} at {} bucket {}: {}", op, config_.prefix + key, e, b, said));
}

Status CurlS3Client::PutObject(const std::string& key, const std::string& path, std::string_view sha256_hex) {
  CurlFd file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) return ErrnoError(fmt::format("uploading {}", path), errno);
  struct stat st;
  if (::fstat(file.fd, &st) != 0) return ErrnoError(fmt::format("uploading {}", path), errno);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size > config_.multipart_threshold) return PutMultipart(key, file.fd, size, sha256_hex);
  CurlUpload upload{file.fd, 0, size, 0};
  CurlRequest req;
  req.method = "PUT";
  req.key = key;
  req.payload_sha256 = std::string(sha256_hex);
  req.upload = &upload;
  CurlReply r = Perform(req);
  if (r.code == CURLE_OK && CurlHttpOk(r.http)) return OkStatus();
  return ReplyError(r, "PUT", key);
}

Status CurlS3Client::PutMultipart(const std::string& key, int fd, uint64_t size,
                                  std::string_view sha256_hex) {
  CurlRequest init;
  init.method = "POST";
  init.key = key;
  init.query = "uploads=";
  CurlReply r = Perform(init);
  if (r.code != CURLE_OK || !CurlHttpOk(r.http)) return ReplyError(r, "POST (start a multipart upload)", key);
  ASSIGN_OR_RETURN(std::string upload_id, ParseUploadId(r.body));
  const std::string id_query = fmt::format("uploadId={}", CurlUriEncode(upload_id, false));
  auto abort = [&](Status why) {
    CurlRequest del;
    del.method = "DELETE";
    del.key = key;
    del.query = id_query;
    (void)Perform(del);
    return why;
  };

  // Parts go up `upload_parallelism` at a time, each hashed just before it
  // is sent (the server checks it). The whole file is hashed beside them: a
  // file that does not hash to `sha256_hex` is never completed into an object.
  const uint64_t part_size = std::max<uint64_t>(config_.part_size, 1);
  const uint64_t parts = (size + part_size - 1) / part_size;
  std::vector<std::string> etags(parts);
  std::atomic<uint64_t> next_part{0};
  std::mutex error_mu;
  Status first_error;  // guarded by error_mu
  std::atomic<bool> failed{false};
  auto fail = [&](Status s) {
    std::lock_guard lock(error_mu);
    if (first_error.ok()) first_error = std::move(s);
    failed = true;
  };
  auto upload_parts = [&] {
    for (uint64_t i; !failed && (i = next_part++) < parts;) {
      const uint64_t offset = i * part_size;
      const uint64_t length = std::min(part_size, size - offset);
      StatusOr<std::string> part_hex = CurlHashRange(fd, offset, length);
      if (!part_hex.ok()) return fail(part_hex.status().WithContext(fmt::format("reading part of {}", key)));
      CurlUpload upload{fd, offset, length, 0};
      CurlRequest put;
      put.method = "PUT";
      put.key = key;
      put.query = fmt::format("partNumber={}&{}", i + 1, id_query);
      put.payload_sha256 = *part_hex;
      put.upload = &upload;
      CurlReply pr = Perform(put);
      if (pr.code != CURLE_OK || !CurlHttpOk(pr.http))
        return fail(ReplyError(pr, fmt::format("PUT part {}", i + 1), key));
      if (pr.etag.empty())
        return fail(InternalError(fmt::format("S3 PUT part of {}: no ETag in the answer", key)));
      etags[i] = pr.etag;
    }
  };
  StatusOr<std::string> whole = InternalError("not hashed");
  std::vector<std::thread> workers;
  workers.emplace_back([&] { whole = CurlHashRange(fd, 0, size); });
  const uint64_t uploaders = std::clamp<uint64_t>(config_.upload_parallelism, 1, parts);
  for (uint64_t t = 1; t < uploaders; ++t) workers.emplace_back(upload_parts);
  upload_parts();
  for (auto& w : workers) w.join();
  if (!first_error.ok()) return abort(first_error);
  if (!whole.ok()) return abort(whole.status().WithContext(fmt::format("reading {}", key)));
  if (*whole != sha256_hex) {
    return abort(DataLossError(
        fmt::format("S3 PUT {} bucket {}: the file hashes to sha256:{}, not sha256:{}; upload aborted",
                    config_.prefix + key, config_.bucket, *whole, sha256_hex)));
  }
  const std::string body = CompleteMultipartBody(etags);
  CurlRequest done;
  done.method = "POST";
  done.key = key;
  done.query = id_query;
  done.post_body = body;
  CurlReply dr = Perform(done);
  // S3 may answer 200 and still fail: the error is then in the body.
  if (dr.code != CURLE_OK || !CurlHttpOk(dr.http) || !ParseS3Error(dr.body).code.empty())
    return abort(ReplyError(dr, "POST (complete a multipart upload)", key));
  return OkStatus();
}

StatusOr<S3GetResult> CurlS3Client::GetObject(const std::string& key, const std::string& dest) {
  const std::string part = dest + ".part";
  CurlFd file{::open(part.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
  if (file.fd < 0) return ErrnoError(fmt::format("downloading to {}", part), errno);
  DownloadSink sink(file.fd);
  Status s;
  uint64_t total = 0;
  // A retry starts the whole download again (its ranges were not retried alone).
  for (int attempt = 1;; ++attempt) {
    bool retryable = false;
    s = GetRanges(key, sink, &total, &retryable);
    if (s.ok() || !retryable || attempt >= config_.max_attempts) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100 << (attempt - 1)));
    sink.Reset();
  }
  StatusOr<std::string> hex = sink.Finish();
  if (s.ok() && sink.written() != total)
    s = DataLossError(
        fmt::format("S3 GET {}: {} of {} bytes arrived", config_.prefix + key, sink.written(), total));
  if (s.ok()) s = hex.status();
  if (s.ok() && ::close(std::exchange(file.fd, -1)) != 0)
    s = ErrnoError(fmt::format("closing {}", part), errno);
  if (s.ok() && ::rename(part.c_str(), dest.c_str()) != 0)
    s = ErrnoError(fmt::format("renaming {}", part), errno);
  if (!s.ok()) {
    ::unlink(part.c_str());
    return s;
  }
  return S3GetResult{total, *hex};
}

Status CurlS3Client::GetRanges(const std::string& key, DownloadSink& sink, uint64_t* total, bool* retryable) {
  // The first range's headers tell the object's size; a larger object's
  // other ranges then start at once, `download_parallelism` in flight.
  const uint64_t chunk = std::max<uint64_t>(config_.download_chunk_size, 1);
  std::mutex mu;
  Status first_error;  // guarded by mu
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> next_chunk{1};
  std::optional<uint64_t> size;  // set once, before the workers start
  auto fail = [&](Status why, bool can_retry) {
    std::lock_guard lock(mu);
    if (first_error.ok()) {
      first_error = std::move(why);
      *retryable = can_retry;
    }
    failed = true;
  };
  auto fetch_chunks = [&] {
    const uint64_t chunks = (*size + chunk - 1) / chunk;
    for (uint64_t i; !failed && (i = next_chunk++) < chunks;) {
      const uint64_t first = i * chunk, last = std::min(first + chunk, *size) - 1;
      CurlRangeSink rs{&sink, first};
      CurlRequest req;
      req.key = key;
      req.sink = &rs;
      req.range = fmt::format("{}-{}", first, last);
      req.attempts = 1;
      CurlReply r = Perform(req);
      if (r.code != CURLE_OK || r.http != 206) return fail(ReplyError(r, "GET", key), CurlRetryable(r));
      if (rs.offset != last + 1)
        return fail(DataLossError(fmt::format("S3 GET {}: bytes {}-{} arrived short", key, first, last)),
                    true);
    }
  };
  std::vector<std::thread> workers;
  CurlRangeSink rs0{&sink, 0};
  CurlRequest req;
  req.key = key;
  req.sink = &rs0;
  req.range = fmt::format("0-{}", chunk - 1);
  req.attempts = 1;
  req.on_total = [&](uint64_t t) {
    if (size) return;
    size = t;
    const uint64_t in_flight =
        std::min<uint64_t>((t + chunk - 1) / chunk, std::max(config_.download_parallelism, 1));
    for (uint64_t w = 1; w < in_flight; ++w) workers.emplace_back(fetch_chunks);
  };
  CurlReply r = Perform(req);
  if (r.code == CURLE_OK && r.http == 416) {
    // An empty object has no byte 0: ask for all of it.
    req.range.clear();
    r = Perform(req);
  }
  if (r.code != CURLE_OK || !CurlHttpOk(r.http)) {
    fail(ReplyError(r, "GET", key), CurlRetryable(r));
  } else if (r.http == 200) {
    *total = rs0.offset;  // the whole object (a server that ignores ranges, or an empty one)
    if (r.content_length >= 0 && static_cast<uint64_t>(r.content_length) != rs0.offset)
      fail(DataLossError(fmt::format("S3 GET {}: {} of {} bytes arrived", key, rs0.offset, r.content_length)),
           true);
  } else if (!size) {
    fail(InternalError(fmt::format("S3 GET {}: a partial answer without Content-Range", key)), false);
  } else {
    *total = *size;
    if (rs0.offset != std::min(chunk, *size))
      fail(DataLossError(fmt::format("S3 GET {}: the first bytes arrived short", key)), true);
    if (*size > chunk) fetch_chunks();
  }
  for (auto& w : workers) w.join();
  std::lock_guard lock(mu);
  return first_error;
}

StatusOr<std::optional<uint64_t>> CurlS3Client::HeadObject(const std::string& key) {
  CurlRequest req;
  req.method = "HEAD";
  req.key = key;
  CurlReply r = Perform(req);
  if (r.code == CURLE_OK && r.http == 404) return std::optional<uint64_t>();
  if (r.code != CURLE_OK || !CurlHttpOk(r.http)) return ReplyError(r, "HEAD", key);
  return std::optional<uint64_t>(r.content_length < 0 ? 0 : static_cast<uint64_t>(r.content_length));
}

StatusOr<std::vector<S3ObjectEntry>> CurlS3Client::ListObjects(const std::string& prefix) {
  std::vector<S3ObjectEntry> out;
  std::string token;
  do {
    CurlRequest req;
    // SigV4 signs the query as sent: names in order, values encoded.
    req.query =
        fmt::format("{}list-type=2&max-keys={}&prefix={}",
                    token.empty() ? "" : fmt::format("continuation-token={}&", CurlUriEncode(token, false)),
                    config_.list_page_size, CurlUriEncode(config_.prefix + prefix, false));
    CurlReply r = Perform(req);
    if (r.code != CURLE_OK || !CurlHttpOk(r.http)) return ReplyError(r, "LIST", prefix);
    ASSIGN_OR_RETURN(S3ListPage page, ParseListObjectsV2(r.body));
    for (auto& o : page.objects) {
      if (!StartsWith(o.key, config_.prefix)) continue;
      o.key.erase(0, config_.prefix.size());
      out.push_back(std::move(o));
    }
    token = page.truncated ? page.next_token : "";
  } while (!token.empty());
  return out;
}

Status CurlS3Client::DeleteObject(const std::string& key) {
  CurlRequest req;
  req.method = "DELETE";
  req.key = key;
  CurlReply r = Perform(req);
  if (r.code == CURLE_OK && (CurlHttpOk(r.http) || r.http == 404) &&
      ParseS3Error(r.body).code != "NoSuchBucket")
    return OkStatus();
  return ReplyError(r, "DELETE", key);
}

Status CurlS3Client::CheckBucket() {
  // A one-key listing, not a HEAD: its error body names the cause.
  CurlRequest req;
  req.query = fmt::format("list-type=2&max-keys=1&prefix={}", CurlUriEncode(config_.prefix, false));
  CurlReply r = Perform(req);
  if (r.code == CURLE_OK && CurlHttpOk(r.http)) return OkStatus();
  return ReplyError(r, "LIST", "");
}

}  // namespace

std::unique_ptr<S3Client> NewCurlS3Client(S3Config config) {
  return std::make_unique<CurlS3Client>(std::move(config));
}

}  // namespace mlpipe::store
