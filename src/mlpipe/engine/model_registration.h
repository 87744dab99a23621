// Registering a model package artifact in the model registry: the one code
// path behind `mlpipe models register` and a pipeline's register: block
// (docs/model-registry.md).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::engine {

struct RegisterResult;

struct RegisterRequest {
  std::string model;                 // registered model name
  std::string artifact;              // PIPELINE.STEP.OUTPUT[:vN] or sha256:HEX
  std::vector<std::string> aliases;  // pointed at the version
  std::string description;           // "" = keep the model's description
  // The reason recorded with each alias move, given the version.
  std::function<std::string(const metadata::ModelVersion&)> reason;
  // false (`mlpipe models register`): every alias is pointed at the version.
  // true (a pipeline run): when the content already was a version, an alias
  // that exists and points elsewhere is left alone, so that a rerun that
  // reproduces an old model never undoes a rollback or a move by hand.
  bool keep_moved_aliases = false;
  // 0 (`mlpipe models register`): the version's metrics snapshot is that of
  // the run that produced the model. A pipeline run registering its own
  // model sets its id: the snapshot is that run's metrics (a cached train or
  // evaluate step gives the metrics of the execution it reused), the numbers
  // its blessing was decided on.
  int64_t metrics_run = 0;
  // Called inside the registration's transaction, after it (may be empty):
  // more writes that must commit or fail with it.
  std::function<Status(metadata::MetadataStore&, const RegisterResult&)> in_transaction;
};

struct RegisterResult {
  metadata::ModelVersion version;
  bool created = false;                    // false: the content already was this version
  std::vector<metadata::AliasChange> moved;  // alias moves recorded now
  std::map<std::string, int64_t> kept;     // aliases left where they were (keep_moved_aliases): alias -> version
};

// Checks the names, resolves the artifact (metadata::DescribeModelSource),
// checks it is still in the store and is a model package (a manifest.json;
// a built-in predictor's files load: ml::CheckModelPackage; a command's code
// is not run), then
// registers it and moves the aliases in one metadata transaction.
// RegisterModelVersion is idempotent: content already registered under the
// name gives its existing version (created = false), never a new one.
// Errors: InvalidArgument for a bad name or an artifact that is not a model
// package (a folder without manifest.json: the message says what to add);
// NotFound for an unknown artifact or one garbage-collected.
StatusOr<RegisterResult> RegisterModel(metadata::MetadataStore& db, store::ObjectStore& objects,
                                       const RegisterRequest& request, int64_t now_ns);

}  // namespace mlpipe::engine
