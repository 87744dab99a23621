#include "mlpipe/cli/shared_objects.h"

#include <fmt/format.h>

#include <cstdlib>

namespace mlpipe::cli {
namespace {

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

}  // namespace

StatusOr<std::unique_ptr<store::S3Client>> OpenSharedObjectsClient(const spec::WorkspaceConfig& config) {
  const spec::S3Settings& s3 = config.s3;
  if (s3.endpoint.empty()) return std::unique_ptr<store::S3Client>();
  const std::string source = !EnvOr("MLPIPE_S3_ENDPOINT").empty() || config.file.empty()
                                 ? std::string("MLPIPE_S3_ENDPOINT")
                                 : fmt::format("objects.s3 in {}", config.file);
  store::S3Config c;
  c.endpoint = s3.endpoint;
  c.region = s3.region;
  c.bucket = s3.bucket;
  c.prefix = s3.prefix.empty() ? "" : fmt::format("{}/", s3.prefix);
  c.access_key = EnvOr("AWS_ACCESS_KEY_ID");
  c.secret_key = EnvOr("AWS_SECRET_ACCESS_KEY");
  if (c.access_key.empty() || c.secret_key.empty()) {
    return InvalidArgumentError(fmt::format(
        "the S3 store at {} bucket {} (from {}) needs credentials; hint: set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY",
        c.endpoint, c.bucket, source));
  }
  std::unique_ptr<store::S3Client> client = store::NewCurlS3Client(c);
  if (Status s = client->CheckBucket(); !s.ok()) {
    return InvalidArgumentError(fmt::format("{} (from {})", s.message(), source));
  }
  return client;
}

StatusOr<std::unique_ptr<SharedObjects>> AttachSharedObjects(const spec::WorkspaceConfig& config,
                                                             store::ObjectStore& objects) {
  ASSIGN_OR_RETURN(std::unique_ptr<store::S3Client> client, OpenSharedObjectsClient(config));
  if (client == nullptr) return std::unique_ptr<SharedObjects>();
  auto shared = std::make_unique<SharedObjects>();
  shared->client = std::move(client);
  shared->remote = std::make_unique<store::RemoteObjects>(*shared->client, objects);
  objects.SetRemote(shared->remote.get());
  return shared;
}

}  // namespace mlpipe::cli
