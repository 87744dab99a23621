#include "mlpipe/store/remote_objects.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <set>

#include "mlpipe/base/sha256.h"
#include "mlpipe/base/strings.h"

namespace mlpipe::store {
namespace {

// Process-wide, so two RemoteObjects over one cache never pick one temp name.
std::atomic<uint64_t> remote_temp_counter{0};

std::string RemoteShardedKey(std::string_view kind, std::string_view hex) {
  return fmt::format("{}/sha256/{}/{}", kind, hex.substr(0, 2), hex);
}

// Removes a temp file when it goes out of scope (it may be gone already:
// PutMode::kMove takes it).
struct RemoteTempFile {
  std::string path;
  ~RemoteTempFile() {
    ::unlink(path.c_str());
    ::unlink((path + ".part").c_str());
  }
};

// The distinct blob digests a manifest lists, with their sizes.
std::vector<std::pair<std::string, uint64_t>> RemoteManifestBlobs(const Manifest& m) {
  std::set<std::string> seen;
  std::vector<std::pair<std::string, uint64_t>> out;
  for (const auto& e : m.entries) {
    if (!e.is_dir && seen.insert(e.digest).second)
      out.emplace_back(e.digest.substr(kRefPrefix.size()), e.size);
  }
  return out;
}

}  // namespace

std::string RemoteBlobKey(std::string_view hex) { return RemoteShardedKey("blobs", hex); }
std::string RemoteManifestKey(std::string_view hex) { return RemoteShardedKey("manifests", hex); }

RemoteObjects::RemoteObjects(S3Client& client, ObjectStore& local_cache, RemoteObjectsOptions options)
    : client_(client), cache_(local_cache), options_(options) {}

RemoteCounters RemoteObjects::counters() const {
  return {uploads_.load(),   bytes_uploaded_.load(),   upload_skips_.load(),
          downloads_.load(), bytes_downloaded_.load(), fetch_hits_.load()};
}

std::string RemoteObjects::NewTempPath(std::string_view kind) {
  return JoinPath(cache_.workspace().TmpDir(),
                  cache_.TempPrefix(kind) + std::to_string(++remote_temp_counter));
}

Status RemoteObjects::Push(std::string_view ref) {
  ASSIGN_OR_RETURN(std::string hex, RefToHex(ref));
  CheckResult local = cache_.Check(ref, false);
  if (local.integrity == Integrity::kAbsent)
    return FailedPreconditionError(fmt::format("{} is not in the local store: nothing to push", ref));
  if (!local.ok()) return DataLossError(fmt::format("not pushing {}: {}", ref, local.detail));
  if (!cache_.IsFolder(ref)) {
    ASSIGN_OR_RETURN(FileStat st, PosixFileSystem().Stat(cache_.workspace().BlobPath(hex)));
    return PushBlob(hex, st.size);
  }
  // The manifest goes up last, so its presence means the folder is complete.
  const std::string manifest_key = RemoteManifestKey(hex);
  ASSIGN_OR_RETURN(std::optional<uint64_t> there, client_.HeadObject(manifest_key));
  if (there) {
    ++upload_skips_;
    return OkStatus();
  }
  ASSIGN_OR_RETURN(Manifest m, cache_.ReadManifest(ref));
  for (const auto& [blob_hex, size] : RemoteManifestBlobs(m)) RETURN_IF_ERROR(PushBlob(blob_hex, size));
  const std::string path = cache_.workspace().ManifestPath(hex);
  ASSIGN_OR_RETURN(FileStat st, PosixFileSystem().Stat(path));
  RETURN_IF_ERROR(client_.PutObject(manifest_key, path, hex));
  ++uploads_;
  bytes_uploaded_ += st.size;
  return OkStatus();
}

Status RemoteObjects::PushBlob(const std::string& hex, uint64_t size) {
  const std::string key = RemoteBlobKey(hex);
  ASSIGN_OR_RETURN(std::optional<uint64_t> there, client_.HeadObject(key));
  // Write-once: a key holds the content its name says. One of another size
  // is a damaged copy, replaced like a damaged local object.
  if (there && *there == size) {
    ++upload_skips_;
    return OkStatus();
  }
  RETURN_IF_ERROR(client_.PutObject(key, cache_.workspace().BlobPath(hex), hex));
  ++uploads_;
  bytes_uploaded_ += size;
  return OkStatus();
}

void RemoteObjects::BeginFetch(const std::string& ref) {
  std::unique_lock lock(fetch_mu_);
  fetch_done_.wait(lock, [&] { return fetching_.count(ref) == 0; });
  fetching_.insert(ref);
}

void RemoteObjects::EndFetch(const std::string& ref) {
  {
    std::lock_guard lock(fetch_mu_);
    fetching_.erase(ref);
  }
  fetch_done_.notify_all();
}

Status RemoteObjects::Fetch(std::string_view ref_view) {
  const std::string ref(ref_view);
  ASSIGN_OR_RETURN(std::string hex, RefToHex(ref));
  BeginFetch(ref);
  struct Done {
    RemoteObjects* self;
    const std::string& ref;
    ~Done() { self->EndFetch(ref); }
  } done{this, ref};
  if (cache_.Check(ref, options_.rehash_local).ok()) {
    ++fetch_hits_;
    return OkStatus();
  }
  // The blob first: a file costs one request; a folder, which costs one per
  // blob anyway, pays the miss.
  Status blob = FetchBlob(hex);
  if (blob.code() != StatusCode::kNotFound || blob.message().find("NoSuchBucket") != std::string::npos)
    return blob.WithContext(fmt::format("fetching {}", ref));
  StatusOr<std::string> manifest = DownloadManifest(hex);
  if (manifest.status().code() == StatusCode::kNotFound &&
      manifest.status().message().find("NoSuchBucket") == std::string::npos)
    return NotFoundError(fmt::format("{} is not in the S3 store ({})", ref, client_.Describe()));
  if (!manifest.ok()) return manifest.status().WithContext(fmt::format("fetching {}", ref));
  return FetchFolder(hex, *manifest).WithContext(fmt::format("fetching folder {}", ref));
}

Status RemoteObjects::FetchFolder(const std::string& hex, const std::string& manifest_text) {
  ASSIGN_OR_RETURN(Manifest m, ParseManifest(manifest_text));
  for (const auto& [blob_hex, size] : RemoteManifestBlobs(m)) {
    if (cache_.Check(std::string(kRefPrefix) + blob_hex, options_.rehash_local).ok()) {
      ++fetch_hits_;
      continue;
    }
    RETURN_IF_ERROR(FetchBlob(blob_hex));
  }
  ASSIGN_OR_RETURN(StoredObject stored, cache_.PutManifest(manifest_text));
  if (stored.ref != std::string(kRefPrefix) + hex)
    return InternalError(fmt::format("the manifest of sha256:{} was stored as {}", hex, stored.ref));
  return OkStatus();
}

Status RemoteObjects::FetchBlob(const std::string& hex) {
  const std::string ref = std::string(kRefPrefix) + hex;
  RemoteTempFile tmp{NewTempPath("fetch")};
  ASSIGN_OR_RETURN(S3GetResult got, Download(RemoteBlobKey(hex), tmp.path));
  if (got.sha256_hex != hex) {
    return DataLossError(fmt::format(
        "the copy of {} in S3 ({}) hashes to sha256:{} ({} bytes): it is damaged; nothing was stored locally",
        ref, client_.Describe(), got.sha256_hex, got.size));
  }
  PutOptions put;
  put.mode = PutMode::kMove;
  // Hashed while it arrived: the store need not read it again.
  put.known_digest = [&ref](const std::string&, const FileStat&) { return std::optional<std::string>(ref); };
  ASSIGN_OR_RETURN(StoredObject stored, cache_.Put(tmp.path, put));
  if (stored.ref != ref) return InternalError(fmt::format("{} was stored as {}", ref, stored.ref));
  return OkStatus();
}

StatusOr<S3GetResult> RemoteObjects::Download(const std::string& key, const std::string& tmp) {
  ASSIGN_OR_RETURN(S3GetResult got, client_.GetObject(key, tmp));
  ++downloads_;
  bytes_downloaded_ += got.size;
  return got;
}

StatusOr<std::string> RemoteObjects::DownloadManifest(const std::string& hex) {
  RemoteTempFile tmp{NewTempPath("fetch")};
  ASSIGN_OR_RETURN(S3GetResult got, Download(RemoteManifestKey(hex), tmp.path));
  if (got.sha256_hex != hex) {
    return DataLossError(
        fmt::format("the manifest of folder sha256:{} in S3 ({}) hashes to sha256:{}: it is damaged", hex,
                    client_.Describe(), got.sha256_hex));
  }
  return PosixFileSystem().ReadFileToString(tmp.path);
}

StatusOr<bool> RemoteObjects::Contains(std::string_view ref) {
  ASSIGN_OR_RETURN(std::string hex, RefToHex(ref));
  ASSIGN_OR_RETURN(std::optional<uint64_t> manifest, client_.HeadObject(RemoteManifestKey(hex)));
  if (!manifest) {
    ASSIGN_OR_RETURN(std::optional<uint64_t> blob, client_.HeadObject(RemoteBlobKey(hex)));
    return blob.has_value();
  }
  ASSIGN_OR_RETURN(Manifest m, ReadManifest(ref));
  for (const auto& [blob_hex, size] : RemoteManifestBlobs(m)) {
    ASSIGN_OR_RETURN(std::optional<uint64_t> blob, client_.HeadObject(RemoteBlobKey(blob_hex)));
    if (!blob || *blob != size) return false;
  }
  return true;
}

StatusOr<Manifest> RemoteObjects::ReadManifest(std::string_view folder_ref) {
  ASSIGN_OR_RETURN(std::string hex, RefToHex(folder_ref));
  ASSIGN_OR_RETURN(std::string text, DownloadManifest(hex));
  return ParseManifest(text);
}

StatusOr<std::vector<RemoteObjectInfo>> RemoteObjects::ListObjects() {
  std::vector<RemoteObjectInfo> out;
  for (const bool is_dir : {false, true}) {
    const std::string kind = is_dir ? "manifests" : "blobs";
    ASSIGN_OR_RETURN(auto entries, client_.ListObjects(kind + "/sha256/"));
    for (const auto& e : entries) {
      const std::string hex = e.key.substr(e.key.rfind('/') + 1);
      // Only names this module makes; anything else under the prefix is not ours.
      if (e.key != RemoteShardedKey(kind, hex) || !IsValidRef(std::string(kRefPrefix) + hex)) continue;
      out.push_back({std::string(kRefPrefix) + hex, is_dir, e.size, e.modified_ns});
    }
  }
  return out;
}

Status RemoteObjects::Remove(std::string_view ref) {
  ASSIGN_OR_RETURN(std::string hex, RefToHex(ref));
  for (const std::string& key : {RemoteManifestKey(hex), RemoteBlobKey(hex)}) {
    ASSIGN_OR_RETURN(std::optional<uint64_t> there, client_.HeadObject(key));
    if (there) return client_.DeleteObject(key);
  }
  return NotFoundError(fmt::format("{} is not in the S3 store ({})", ref, client_.Describe()));
}

StatusOr<VerifyReport> RemoteObjects::Verify(std::string_view ref, std::set<std::string>* seen) {
  ASSIGN_OR_RETURN(std::string hex, RefToHex(ref));
  VerifyReport report;
  // Re-hashes one blob into `report`; NotFound passes up.
  auto verify_blob = [&](const std::string& blob_hex) -> Status {
    if (seen != nullptr && !seen->insert(blob_hex).second) return OkStatus();
    RemoteTempFile tmp{NewTempPath("verify")};
    const std::string key = RemoteBlobKey(blob_hex);
    ASSIGN_OR_RETURN(S3GetResult got, Download(key, tmp.path));
    ++report.blobs_checked;
    report.bytes_checked += got.size;
    if (got.sha256_hex != blob_hex) {
      report.problems.push_back({std::string(kRefPrefix) + blob_hex, key, ProblemKind::kDamaged,
                                 fmt::format("content hashes to sha256:{}", got.sha256_hex)});
    }
    return OkStatus();
  };
  StatusOr<std::string> text = DownloadManifest(hex);
  if (!text.ok() && text.status().code() == StatusCode::kDataLoss) {
    report.problems.push_back({std::string(ref), RemoteManifestKey(hex), ProblemKind::kDamaged,
                               std::string(text.status().message())});
    return report;
  }
  if (!text.ok() && text.status().code() != StatusCode::kNotFound) return text.status();
  if (!text.ok()) {
    RETURN_IF_ERROR(verify_blob(hex));
    return report;
  }
  ++report.folders_checked;
  auto m = ParseManifest(*text);
  if (!m.ok()) {
    report.problems.push_back(
        {std::string(ref), RemoteManifestKey(hex), ProblemKind::kDamaged, std::string(m.status().message())});
    return report;
  }
  for (const auto& [blob_hex, size] : RemoteManifestBlobs(*m)) {
    Status s = verify_blob(blob_hex);
    if (s.code() == StatusCode::kNotFound) {
      report.problems.push_back({std::string(kRefPrefix) + blob_hex, RemoteBlobKey(blob_hex),
                                 ProblemKind::kMissing,
                                 fmt::format("folder {} lists it, but the S3 store does not have it", ref)});
    } else if (!s.ok()) {
      return s;
    }
  }
  return report;
}

}  // namespace mlpipe::store
