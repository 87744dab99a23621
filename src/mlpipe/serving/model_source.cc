#include "mlpipe/serving/model_source.h"

#include <filesystem>
#include <system_error>

#include "mlpipe/ml/model_package.h"

namespace mlpipe::serving {

PackagePathSource::PackagePathSource(store::HashCacheOptions options)
    : cache_(store::HashCache::Open("", options).value()) {}  // in memory: cannot fail

StatusOr<ResolvedModel> PackagePathSource::Resolve(const ModelSpec& spec) {
  if (spec.package_path.empty()) return InvalidArgumentError("no package path given");
  std::error_code ec;
  // The real folder, links resolved once: it is what gets hashed and loaded,
  // so the version always names the files loaded even if a link at the path
  // moves in between, and a link flipped between two packages finds both in
  // the hash cache instead of rehashing at every flip.
  const std::filesystem::path dir = std::filesystem::canonical(spec.package_path, ec);
  if (ec || !std::filesystem::is_directory(dir, ec)) {
    return NotFoundError("model package folder " + spec.package_path + " does not exist");
  }
  // The version is the digest of the whole folder (as the object store
  // would name it): any changed file (the model, the transform, a command
  // package's code) makes a new version. Nothing is parsed at a poll.
  if (!std::filesystem::exists(dir / ml::kManifestFile, ec)) {
    return NotFoundError("model package " + spec.package_path + " has no " + ml::kManifestFile);
  }
  auto digest = cache_->HashSource(dir.string());
  if (!digest.ok()) return digest.status().WithContext("model package " + spec.package_path);
  hashes_ += static_cast<int>(digest->files_rehashed);
  return ResolvedModel{digest->ref.substr(digest->ref.find(':') + 1, 12), dir.string()};
}

StatusOr<ResolvedModel> RegistrySource::Resolve(const ModelSpec& spec) {
  if (spec.model_ref.empty()) return packages_.Resolve(spec);
  if (db_ == nullptr || objects_ == nullptr) return FailedPreconditionError("no workspace: cannot resolve " + spec.model_ref);
  ASSIGN_OR_RETURN(metadata::ModelVersion mv, db_->ResolveModel(spec.model_ref));
  ASSIGN_OR_RETURN(std::string dir, objects_->Materialize(mv.ref));
  return ResolvedModel{std::to_string(mv.version), dir};
}

void FakeModelSource::Set(const std::string& key, ResolvedModel answer) {
  std::lock_guard<std::mutex> lock(mu_);
  answers_.insert_or_assign(key, StatusOr<ResolvedModel>(std::move(answer)));
}

void FakeModelSource::SetError(const std::string& key, Status error) {
  std::lock_guard<std::mutex> lock(mu_);
  answers_.insert_or_assign(key, StatusOr<ResolvedModel>(std::move(error)));
}

StatusOr<ResolvedModel> FakeModelSource::Resolve(const ModelSpec& spec) {
  std::lock_guard<std::mutex> lock(mu_);
  ++resolve_calls_;
  auto it = answers_.find(spec.ToString());
  if (it == answers_.end()) return NotFoundError("fake source has no answer for " + spec.ToString());
  return it->second;
}

int FakeModelSource::resolve_calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resolve_calls_;
}

}  // namespace mlpipe::serving
