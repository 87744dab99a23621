// GET /api/v1/artifacts/{ref}/content: a file artifact's bytes, a file inside
// a folder artifact (?path=FILE), or a folder's file list (?list=1). Bytes
// are answered with their content type (content_type.h).
//
// The transport answers with one body held in memory (serving::HttpResponse),
// so a download is capped at kMaxContentBytes; larger content is read with
// `mlpipe artifacts cat`, which streams.
#include <fmt/format.h>

#include <fstream>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/engine/object_integrity.h"
#include "mlpipe/server/api_artifact_store.h"
#include "mlpipe/server/api_error.h"
#include "mlpipe/server/api_handlers.h"
#include "mlpipe/server/content_type.h"
#include "mlpipe/store/manifest.h"

namespace mlpipe::server {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxContentBytes = 64ull << 20;  // 64 MiB

// The last part of a path or artifact name, for Content-Disposition.
std::string FileNameOf(const std::string& text) {
  std::string name = text.substr(text.find_last_of('/') + 1);
  std::string out;
  for (char c : name) out.push_back(c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 ? '_' : c);
  return out;
}

// The intact blob `blob` (a file artifact, or a file of a folder), read whole
// into `response`. A damaged blob is quarantined by Check and recorded, as
// `mlpipe artifacts cat` does; an absent one is NotFound saying why.
Status SendBlob(ApiContext& ctx, store::ObjectStore& objects, const std::string& blob, uint64_t size,
                const std::string& shown, const std::string& file_name, const std::string& larger,
                serving::HttpResponse& response) {
  if (size > kMaxContentBytes) {
    return ResourceExhaustedError(fmt::format("{} is {} bytes, over the API's download limit of {} MiB; {}",
                                              shown, size, kMaxContentBytes >> 20, larger));
  }
  store::CheckResult check = objects.Check(blob);
  if (check.integrity == store::Integrity::kDamaged) {
    (void)engine::RecordQuarantined(*ctx.db, blob, check.detail, RealClock().WallNanos());
    return DataLossError(fmt::format(
        "{} is damaged: {} (quarantined; the next run that needs it recomputes it)", shown, check.detail));
  }
  if (!check.ok()) {
    return NotFoundError(
        fmt::format("{} is not in the store: {}", shown, engine::WhyAbsent(*ctx.db, objects, blob)));
  }
  ASSIGN_OR_RETURN(const std::string hex, store::RefToHex(blob));
  std::ifstream f(ctx.ws->BlobPath(hex), std::ios::binary);
  if (!f) return NotFoundError(fmt::format("{} is not readable in the store", shown));
  response.body.resize(size);
  f.read(response.body.data(), static_cast<std::streamsize>(size));
  response.body.resize(static_cast<size_t>(f.gcount()));
  response.status = 200;
  // A real type, so the UI can preview it; never sniffed again by the
  // browser; HTML and SVG sandboxed: they may not script the UI's origin.
  const ArtifactContentType type = ContentTypeOf(file_name, response.body);
  response.content_type = type.type;
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (type.active) {
    response.headers.emplace_back("Content-Security-Policy",
                                  "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'");
  }
  response.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"{}\"", file_name));
  response.headers.emplace_back("X-Artifact-Ref", blob);
  return OkStatus();
}

}  // namespace

Status ArtifactContent(ApiContext& ctx, const ApiCall& call, serving::HttpResponse& response) {
  RETURN_IF_ERROR(call.query.CheckAllowed({"path", "list"}));
  ASSIGN_OR_RETURN(auto path, call.query.One("path"));
  ASSIGN_OR_RETURN(const bool list, call.query.Flag("list"));
  ASSIGN_OR_RETURN(auto resolved, ctx.db->ResolveArtifact(call.path[1]));
  const metadata::Artifact& a = resolved.artifact;
  const std::string shown = resolved.version ? resolved.version->Label() : a.ref;
  ASSIGN_OR_RETURN(auto objects, OpenObjects(ctx));
  if (!a.is_dir) {
    if (path || list) {
      return InvalidArgumentError(
          fmt::format("{} is a file; 'path' and 'list' apply to folder artifacts only", shown));
    }
    return SendBlob(ctx, *objects, a.ref, a.size, shown,
                    FileNameOf(resolved.version ? resolved.version->name : a.ref),
                    fmt::format("`mlpipe artifacts cat {}` reads it whole", shown), response);
  }
  // A folder the workspace lacks comes whole from the S3 store, if any.
  auto manifest = objects->ReadManifest(a.ref);
  if (!manifest.ok() && objects->Contains(a.ref)) manifest = objects->ReadManifest(a.ref);
  if (!manifest.ok()) {
    return NotFoundError(
        fmt::format("{} is not in the store: {}", shown, engine::WhyAbsent(*ctx.db, *objects, a.ref)));
  }
  if (list) {
    if (path) return InvalidArgumentError("give 'path' (one file) or 'list' (every file), not both");
    json files = json::array();
    for (const auto& e : manifest->entries) {
      if (e.is_dir) continue;
      files.push_back({{"path", e.path}, {"size", e.size}, {"ref", e.digest}, {"executable", e.executable}});
    }
    SetJson(response, {{"ref", a.ref}, {"label", shown}, {"files", std::move(files)}});
    return OkStatus();
  }
  if (!path) {
    SetApiError(response, 409, "is_folder",
                fmt::format("{} is a folder of {} files: ?list=1 lists them, ?path=FILE downloads one", shown,
                            manifest->FileCount()));
    return OkStatus();
  }
  std::vector<std::string> names;
  for (const auto& e : manifest->entries) {
    if (e.is_dir) continue;
    if (e.path == *path) {
      return SendBlob(ctx, *objects, e.digest, e.size, shown + " " + e.path, FileNameOf(e.path),
                      fmt::format("`mlpipe artifacts cat {}` reads it whole", e.digest), response);
    }
    names.push_back(e.path);
  }
  const std::string hint = ClosestMatch(*path, names);
  return NotFoundError(fmt::format("{} has no file '{}'{}", shown, *path,
                                   hint.empty() ? "" : "; did you mean '" + hint + "'?"));
}

ApiObjects::ApiObjects(std::unique_ptr<store::ObjectStore> local, store::S3Client* shared)
    : local_(std::move(local)) {
  if (shared == nullptr) return;
  remote_ = std::make_unique<store::RemoteObjects>(*shared, *local_);
  local_->SetRemote(remote_.get());
}

StatusOr<ApiObjects> OpenObjects(const ApiContext& ctx) {
  store::ObjectStoreOptions options;
  options.clean_temp_on_open = false;
  ASSIGN_OR_RETURN(std::unique_ptr<store::ObjectStore> local, store::ObjectStore::Open(*ctx.ws, options));
  return ApiObjects(std::move(local), ctx.shared_objects);
}

}  // namespace mlpipe::server
