#include "mlpipe/cli/export_reads.h"

#include <fmt/format.h>

#include <set>

#include "mlpipe/store/layout.h"

namespace mlpipe::cli {

StatusOr<ExportReadsSent> SendExportReads(const exporter::ExportPlan& plan, const exporter::ArgoOptions& argo,
                                          const spec::WorkspaceConfig& config, store::ObjectStore& objects,
                                          store::RemoteObjects* remote, store::S3Client* client) {
  ExportReadsSent sent;
  if (remote == nullptr || client == nullptr) {
    sent.not_sent = "the workspace has no S3 store (objects.s3 in .mlpipe/config.yaml)";
    return sent;
  }
  sent.where = remote->Describe();
  if (!argo.s3_bucket.empty() && argo.s3_bucket != config.s3.bucket) {
    sent.not_sent = fmt::format("the Workflow reads bucket {}, the workspace's S3 store is bucket {}",
                                argo.s3_bucket, config.s3.bucket);
    return sent;
  }
  if (argo.prefix != config.s3.prefix) {
    sent.not_sent = fmt::format(
        "the Workflow's key prefix is '{}' and the workspace's S3 store's '{}' (--s3-prefix {} would match)",
        argo.prefix, config.s3.prefix, config.s3.prefix);
    return sent;
  }
  std::set<std::string> done;
  for (const exporter::PlannedStep& p : plan.steps) {
    if (p.cached) continue;
    for (const exporter::PlannedInput& in : p.inputs) {
      if (!in.from_step.empty() || !done.insert(in.stored.ref).second) continue;
      ASSIGN_OR_RETURN(std::string hex, store::RefToHex(in.stored.ref));
      if (!in.stored.is_dir) {
        ASSIGN_OR_RETURN(std::optional<uint64_t> there, client->HeadObject(store::RemoteBlobKey(hex)));
        if (there) continue;
        // Stored: the store's own push. A source hashed but never stored
        // (sources: {store: false}): its file, which the server checks
        // against the hash the plan was made with.
        if (objects.Contains(in.stored.ref)) {
          RETURN_IF_ERROR(remote->Push(in.stored.ref));
        } else if (!in.source.empty()) {
          RETURN_IF_ERROR(client->PutObject(store::RemoteBlobKey(hex), in.source, hex)
                              .WithContext(fmt::format("sending {} ({})", in.label, in.source)));
        } else {
          return NotFoundError(fmt::format("{} ({}) is in neither this workspace nor {}", in.label,
                                           in.stored.ref, remote->Describe()));
        }
        ++sent.files;
        continue;
      }
      ASSIGN_OR_RETURN(std::string dir, objects.Materialize(in.stored.ref));
      ASSIGN_OR_RETURN(store::Manifest m, objects.ReadManifest(in.stored.ref));
      int files = 0;
      for (const auto& e : m.entries) {
        if (e.is_dir) continue;
        const std::string key = fmt::format("trees/{}/{}", hex, e.path);
        ASSIGN_OR_RETURN(std::optional<uint64_t> there, client->HeadObject(key));
        if (there && *there == e.size) continue;  // keys are content-addressed
        RETURN_IF_ERROR(client->PutObject(key, fmt::format("{}/{}", dir, e.path),
                                          e.digest.substr(store::kRefPrefix.size())));
        ++files;
      }
      sent.folders += files > 0;
      sent.folder_files += files;
    }
  }
  return sent;
}

}  // namespace mlpipe::cli
