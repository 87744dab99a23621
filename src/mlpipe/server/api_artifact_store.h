// Inside the record routes: the object store of the context's workspace.
#pragma once

#include <memory>

#include "mlpipe/base/status.h"
#include "mlpipe/server/api_routes.h"
#include "mlpipe/store/object_store.h"

namespace mlpipe::server {

// Opens the object store of ctx.ws for one request, leaving tmp/ alone (a
// writer's temp files are not the reader's to clean).
StatusOr<std::unique_ptr<store::ObjectStore>> OpenObjects(const ApiContext& ctx);

}  // namespace mlpipe::server
