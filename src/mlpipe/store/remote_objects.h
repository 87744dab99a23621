// RemoteObjects: a shared S3 object store beside the node's local
// ObjectStore, which becomes its content-addressed cache.
//
// Keys under the client's prefix mirror the local layout (remote_keys below):
//   blobs/sha256/<2 hex>/<64 hex>       file blobs
//   manifests/sha256/<2 hex>/<64 hex>   folder manifests (a folder's id)
// Objects are write-once: a key, once written, holds the content its name
// says, so Push skips what is already there (one HEAD). A folder's blobs go
// up before its manifest, so a visible manifest means a complete folder
// remotely as it does locally. Uploads carry their SHA-256, which the server
// checks; downloads are re-hashed before they reach the local store, so a
// damaged remote object never becomes a cached input.
//
// Thread-safe: several threads may Push and Fetch at once (the S3Client and
// the ObjectStore are thread-safe; a ref being fetched by one thread is
// waited for, not downloaded again, by another).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/store/manifest.h"
#include "mlpipe/store/object_store.h"
#include "mlpipe/store/remote_tier.h"
#include "mlpipe/store/s3_client.h"

namespace mlpipe::store {

// The one place remote key names are made.
std::string RemoteBlobKey(std::string_view hex);      // blobs/sha256/ab/<64 hex>
std::string RemoteManifestKey(std::string_view hex);  // manifests/sha256/ab/<64 hex>

struct RemoteObjectsOptions {
  // Re-hash a local copy before trusting it as a cache hit (Check's rehash).
  // Default false: the local store's stamp check, as for a local cache hit.
  bool rehash_local = false;
};

// What moved, for tests and benchmarks ("a cached input is never downloaded
// twice"). Counts objects (blobs and manifests), not refs.
struct RemoteCounters {
  uint64_t uploads = 0;
  uint64_t bytes_uploaded = 0;
  uint64_t upload_skips = 0;  // already in the remote store
  uint64_t downloads = 0;
  uint64_t bytes_downloaded = 0;
  uint64_t fetch_hits = 0;  // already intact in the local cache
};

struct RemoteObjectInfo {
  std::string ref;
  bool is_dir = false;
  uint64_t stored_bytes = 0;  // the remote object's own size (a folder: its manifest's)
  int64_t modified_ns = 0;    // when it was written (a folder: its manifest), 0 if unknown
};

class RemoteObjects : public RemoteTier {
 public:
  // Neither is owned; both must outlive this.
  RemoteObjects(S3Client& client, ObjectStore& local_cache, RemoteObjectsOptions options = {});

  // Uploads a local object (a folder: its blobs, then its manifest) unless
  // the remote store has it. FailedPrecondition if the local object is
  // absent; DataLoss if it is damaged (it is then quarantined locally).
  Status Push(std::string_view ref) override;
  // Makes the object present and intact in the local cache: nothing moves
  // when it already is; otherwise downloaded into the cache's tmp/, re-hashed
  // and stored (PutMode::kMove). The blob key is tried first (a file costs
  // one request); then a folder: its manifest, the blobs the cache lacks,
  // and the manifest stored locally last. NotFound if the remote store has
  // no such object; DataLoss if a download does not hash to its name
  // (nothing is stored locally).
  Status Fetch(std::string_view ref) override;

  // Whether the remote store has the object whole: its blob, or a folder's
  // manifest and every blob it lists (one HEAD each).
  StatusOr<bool> Contains(std::string_view ref);
  // The manifest of a remote folder, checked against its ref. NotFound if
  // there is none.
  StatusOr<Manifest> ReadManifest(std::string_view folder_ref);
  // Every blob and folder in the remote store (for gc).
  StatusOr<std::vector<RemoteObjectInfo>> ListObjects();
  // For gc, as ObjectStore::Remove: a blob ref removes the blob; a folder
  // ref removes its manifest but NOT its blobs. NotFound if absent.
  Status Remove(std::string_view ref);
  // Downloads the object (a folder: its manifest and every blob) into a temp
  // file and re-hashes it, storing nothing: the only check that reads what
  // the server holds now (a HEAD sees only the size). NotFound if absent. A
  // folder's damaged or missing blob is a problem of that blob's ref. With
  // `seen`, a blob in it is skipped (checked already, its problem reported)
  // and each blob checked is added, so a blob many folders share is
  // downloaded once across calls.
  StatusOr<VerifyReport> Verify(std::string_view ref, std::set<std::string>* seen = nullptr);

  RemoteCounters counters() const;
  // The client's endpoint, bucket and prefix.
  std::string Describe() const override { return client_.Describe(); }

 private:
  Status PushBlob(const std::string& hex, uint64_t size);
  Status FetchFolder(const std::string& hex, const std::string& manifest_text);
  // Downloads the blob `hex` into the local cache.
  Status FetchBlob(const std::string& hex);
  // Downloads `key` to `tmp` (a path in the cache's tmp/), counting it; the
  // result says what its bytes hash to. The caller removes the file.
  StatusOr<S3GetResult> Download(const std::string& key, const std::string& tmp);
  // The manifest text of `hex`, NotFound if there is none, DataLoss if it
  // does not hash to its name.
  StatusOr<std::string> DownloadManifest(const std::string& hex);
  std::string NewTempPath(std::string_view kind);
  // One fetch of `ref` at a time: the second caller waits, then finds it cached.
  void BeginFetch(const std::string& ref);
  void EndFetch(const std::string& ref);

  S3Client& client_;
  ObjectStore& cache_;
  RemoteObjectsOptions options_;
  std::atomic<uint64_t> temp_counter_{0};
  std::atomic<uint64_t> uploads_{0}, bytes_uploaded_{0}, upload_skips_{0};
  std::atomic<uint64_t> downloads_{0}, bytes_downloaded_{0}, fetch_hits_{0};
  std::mutex fetch_mu_;
  std::condition_variable fetch_done_;
  std::set<std::string> fetching_;  // guarded by fetch_mu_
};

}  // namespace mlpipe::store
