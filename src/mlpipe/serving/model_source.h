// ModelSource: says which version of a model should be live (TF Serving's
// Source). The manager asks it on every poll; a changed answer is a hot swap.
//
//   PackagePathSource  a fixed model package folder (`mlpipe serve --package`);
//                      its version label is a short digest of the folder's
//                      content, so replacing any of its files swaps.
//   RegistrySource     the model registry: "NAME@ALIAS" / "NAME:vN" resolved
//                      in the metadata store and materialised from the object
//                      store.
//   FakeModelSource    tests: answers set by hand.
//
// Thread-safety: the ModelManager calls Resolve from its one reconcile thread
// only; implementations need not be thread-safe unless stated.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/store/hash_cache.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::serving {

// What one variant serves: a registry reference or a package folder.
struct ModelSpec {
  std::string model_ref;     // "NAME@ALIAS", "NAME:vN" or "NAME"; "" when package_path is set
  std::string package_path;  // a model package folder; "" when model_ref is set
  // "churn@champion" or "package /path".
  std::string ToString() const { return package_path.empty() ? model_ref : "package " + package_path; }
};

// The answer: the version that should be live and where its package is.
struct ResolvedModel {
  std::string version;      // label: "4" (registry) or a 12-hex digest (package)
  std::string package_dir;  // a folder LoadModelPackage accepts
};

class ModelSource {
 public:
  virtual ~ModelSource() = default;
  // NotFound if the model, alias, version or folder does not exist; other
  // errors as the backing store reports them.
  virtual StatusOr<ResolvedModel> Resolve(const ModelSpec& spec) = 0;
};

// Resolves spec.package_path (InvalidArgument if it is empty). The version
// is the digest of the package folder (the object store's scheme); the server resolves
// every poll interval, so files are hashed through a store::HashCache (in
// memory): read again only when their (device, inode, size, mtime_ns)
// changed, or while too recently modified to trust. Thread-safe.
class PackagePathSource : public ModelSource {
 public:
  // `options`: the HashCache's file system, clock and racy window.
  explicit PackagePathSource(store::HashCacheOptions options = {});
  StatusOr<ResolvedModel> Resolve(const ModelSpec& spec) override;
  // Files hashed so far (tests: a second Resolve of an unchanged package hashes nothing).
  int hashes() const { return hashes_.load(); }

 private:
  std::unique_ptr<store::HashCache> cache_;
  std::atomic<int> hashes_{0};
};

// Resolves spec.model_ref through the registry, spec.package_path like
// PackagePathSource. Borrows both stores (they must outlive this).
class RegistrySource : public ModelSource {
 public:
  RegistrySource(metadata::MetadataStore* db, store::ObjectStore* objects) : db_(db), objects_(objects) {}
  StatusOr<ResolvedModel> Resolve(const ModelSpec& spec) override;

 private:
  metadata::MetadataStore* db_;
  store::ObjectStore* objects_;
  PackagePathSource packages_;
};

// Answers set by tests, keyed by ModelSpec::ToString(). Thread-safe.
class FakeModelSource : public ModelSource {
 public:
  void Set(const std::string& key, ResolvedModel answer);
  void SetError(const std::string& key, Status error);
  StatusOr<ResolvedModel> Resolve(const ModelSpec& spec) override;
  int resolve_calls() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, StatusOr<ResolvedModel>> answers_;
  int resolve_calls_ = 0;
};

}  // namespace mlpipe::serving
