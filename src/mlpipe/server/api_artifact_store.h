// Inside the record routes: the object store of the context's workspace.
#pragma once

#include <memory>

#include "mlpipe/base/status.h"
#include "mlpipe/server/api_routes.h"
#include "mlpipe/store/object_store.h"
#include "mlpipe/store/remote_objects.h"

namespace mlpipe::server {

// The object store of ctx.ws for one request, with ctx.shared_objects (if
// any) behind it, so content the workspace lacks is fetched (and kept).
class ApiObjects {
 public:
  ApiObjects(std::unique_ptr<store::ObjectStore> local, store::S3Client* shared);
  store::ObjectStore& operator*() { return *local_; }
  store::ObjectStore* operator->() { return local_.get(); }

 private:
  std::unique_ptr<store::ObjectStore> local_;
  std::unique_ptr<store::RemoteObjects> remote_;  // local_'s tier; destroyed first
};

// Opens it, leaving tmp/ alone (a writer's temp files are not the reader's
// to clean).
StatusOr<ApiObjects> OpenObjects(const ApiContext& ctx);

}  // namespace mlpipe::server
