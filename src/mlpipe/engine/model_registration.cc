#include "mlpipe/engine/model_registration.h"

#include <fmt/format.h>

#include <filesystem>

#include "mlpipe/metadata/model_names.h"
#include "mlpipe/metadata/model_source.h"
#include "mlpipe/ml/model_package.h"

namespace mlpipe::engine {
namespace {

// The version NAME@ALIAS points at now, or 0 if the alias does not exist.
StatusOr<int64_t> AliasTarget(metadata::MetadataStore& db, const std::string& name, const std::string& alias) {
  auto v = db.ResolveModel(name + "@" + alias);
  if (v.ok()) return v->version;
  if (v.status().code() == StatusCode::kNotFound) return int64_t{0};
  return v.status();
}

}  // namespace

StatusOr<RegisterResult> RegisterModel(metadata::MetadataStore& db, store::ObjectStore& objects,
                                       const RegisterRequest& request, int64_t now_ns) {
  RETURN_IF_ERROR(metadata::ValidateModelName(request.model));
  for (const auto& a : request.aliases) RETURN_IF_ERROR(metadata::ValidateAliasName(a));
  ASSIGN_OR_RETURN(metadata::ModelVersion v,
                   metadata::DescribeModelSource(db, request.model, request.artifact, now_ns));
  if (request.metrics_run != 0) {
    ASSIGN_OR_RETURN(v.metrics_json, metadata::RunMetricsSnapshot(db, request.metrics_run));
  }
  if (!objects.Contains(v.ref)) {
    return NotFoundError(
        fmt::format("the content of {} ({}) is no longer in the store (garbage-collected?); "
                    "re-run the pipeline that makes it",
                    request.artifact, v.ref));
  }
  ASSIGN_OR_RETURN(std::string path, objects.Materialize(v.ref));
  std::error_code ec;
  if (!std::filesystem::exists(std::filesystem::path(path) / ml::kManifestFile, ec)) {
    return InvalidArgumentError(fmt::format("{} has no {}, so it is not a model package: {}",
                                            request.artifact, ml::kManifestFile, ml::MissingManifestHint()));
  }
  Status usable = ml::CheckModelPackage(path);
  if (!usable.ok()) {
    return InvalidArgumentError(
        fmt::format("{} is not a usable model package: {}", request.artifact, usable.message()));
  }
  RegisterResult result;
  metadata::Transaction txn(db);
  RETURN_IF_ERROR(txn.status());
  ASSIGN_OR_RETURN(result.version, db.RegisterModelVersion(v, request.description, &result.created));
  for (const auto& alias : request.aliases) {
    if (request.keep_moved_aliases && !result.created) {
      ASSIGN_OR_RETURN(int64_t now_at, AliasTarget(db, request.model, alias));
      if (now_at != 0 && now_at != result.version.version) {
        result.kept[alias] = now_at;
        continue;
      }
    }
    std::string reason = request.reason ? request.reason(result.version) : "";
    ASSIGN_OR_RETURN(metadata::AliasChange c,
                     db.SetAlias(request.model, alias, result.version.version, reason, now_ns));
    if (c.id != 0) result.moved.push_back(std::move(c));
  }
  if (request.in_transaction) RETURN_IF_ERROR(request.in_transaction(db, result));
  RETURN_IF_ERROR(txn.Commit());
  return result;
}

}  // namespace mlpipe::engine
