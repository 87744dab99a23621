// The read-only routes of the server's JSON API over the record: runs and
// their steps, logs and metrics, executions, artifacts (with their content
// and lineage) and the model registry, under /api/v1 (docs/server-api.md,
// "The record"). A library the server calls from its HTTP handler; it
// starts nothing and changes nothing but what reading the object store may
// (a damaged object found on download is quarantined and recorded, as
// `mlpipe artifacts cat` does).
#pragma once

#include "mlpipe/metadata/metadata_store.h"
#include "mlpipe/serving/http_server.h"
#include "mlpipe/store/layout.h"
#include "mlpipe/store/s3_client.h"

namespace mlpipe::server {

struct ApiContext {
  metadata::MetadataStore* db;  // used from the calling thread only; not owned
  const store::Workspace* ws;   // its object store and run logs; not owned
  // The workspace's S3 store (objects.s3), if any; not owned, thread-safe:
  // an object the workspace lacks is fetched from it (store/remote_tier.h).
  store::S3Client* shared_objects = nullptr;
};

// Answers the read routes under /api/v1 listed in docs/server-api.md; false
// if `request.target`'s path is none of them (the caller answers 404, or
// tries its own routes). A GET only (HEAD arrives as GET): another method on
// these paths gets 405 with the JSON error and an Allow header. Bad input
// (a malformed id, parameter or escape) gets 400, an unknown run, step,
// execution, artifact, model or alias 404, each with the JSON error naming it
// (api_error.h); never a 500 for bad input.
bool HandleRecordRoute(ApiContext& ctx, const serving::HttpRequest& request, serving::HttpResponse& response);

}  // namespace mlpipe::server
