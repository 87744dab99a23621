// What an exported Argo Workflow reads at content-addressed keys (a source,
// a cached step's output, a registered model), put into the workspace's S3
// store at exactly those keys before the Workflow is submitted: a file at
// its blob key (where every run's Put sends it already), a folder's files
// under PREFIX/trees/HEX/ (the layout Argo reads a directory artifact from;
// the store itself keeps a folder as a manifest and blobs).
#pragma once

#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/export/argo_workflow.h"
#include "mlpipe/export/export_plan.h"
#include "mlpipe/spec/workspace_config.h"
#include "mlpipe/store/object_store.h"
#include "mlpipe/store/remote_objects.h"

namespace mlpipe::cli {

struct ExportReadsSent {
  int files = 0;         // file objects sent (already there: not counted)
  int folders = 0;       // folders whose files were sent
  int folder_files = 0;  // their files sent
  std::string where;     // the store, for messages
  std::string not_sent;  // why nothing could be sent ("" when it could)
};

// Sends what `plan`'s running steps read at content-addressed keys, when the
// workspace's S3 store (`remote`, null without one) is where the Workflow
// reads them: the settings' bucket (or no --s3-bucket, the namespace's
// repository, taken to be it) and the same key prefix. Otherwise sends
// nothing and says why in `not_sent`.
StatusOr<ExportReadsSent> SendExportReads(const exporter::ExportPlan& plan, const exporter::ArgoOptions& argo,
                                          const spec::WorkspaceConfig& config, store::ObjectStore& objects,
                                          store::RemoteObjects* remote, store::S3Client* client);

}  // namespace mlpipe::cli
