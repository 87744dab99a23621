// SharedObjects: the S3 store a workspace's settings name (objects.s3 in
// .mlpipe/config.yaml, or MLPIPE_S3_*), attached behind its object store
// (store/remote_tier.h): what a run stores goes to the bucket too, and what
// the workspace lacks is fetched from it, so a second workspace (a second
// user, another node) sees the same artifacts.
#pragma once

#include <memory>

#include "mlpipe/base/status.h"
#include "mlpipe/spec/workspace_config.h"
#include "mlpipe/store/object_store.h"
#include "mlpipe/store/remote_objects.h"
#include "mlpipe/store/s3_client.h"

namespace mlpipe::cli {

struct SharedObjects {
  std::unique_ptr<store::S3Client> client;
  std::unique_ptr<store::RemoteObjects> remote;  // the objects store's RemoteTier
};

// Null when the settings name no S3 store. Otherwise checks, before anything
// runs, that the bucket answers to the credentials (AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY): an unreachable endpoint, refused credentials or a
// missing bucket is InvalidArgument (exit 2) naming the endpoint, the bucket
// and where the setting came from; the secret is never in it. Then sets it
// as `objects`' remote; the result must outlive `objects`' use.
StatusOr<std::unique_ptr<SharedObjects>> AttachSharedObjects(const spec::WorkspaceConfig& config,
                                                             store::ObjectStore& objects);
// The same client and check, for a caller that attaches it to stores of its
// own (the server: one per request). Null when the settings name no S3 store.
StatusOr<std::unique_ptr<store::S3Client>> OpenSharedObjectsClient(const spec::WorkspaceConfig& config);

}  // namespace mlpipe::cli
