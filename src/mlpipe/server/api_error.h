// The JSON error every /api/v1 route answers with:
//   {"error": {"code": "not_found", "message": "no run 42"}}
// `code` is a stable word for programs, `message` a sentence for people that
// names what was wrong (the parameter, the run, the ref) and what is allowed.
#pragma once

#include <string_view>

#include "mlpipe/base/status.h"
#include "mlpipe/serving/http_server.h"

namespace mlpipe::server {

// Sets `response` to the error body with `status`, as JSON.
void SetApiError(serving::HttpResponse& response, int status, std::string_view code,
                 std::string_view message);

// The same for a Status: its HTTP status from serving::HttpStatusFor (the one
// Status -> HTTP mapping: InvalidArgument 400, NotFound 404, ...) and the
// code that status has in ErrorCodeFor.
void SetApiError(serving::HttpResponse& response, const Status& status);

// The code of an error answer with `http_status` and no more specific code:
// 400 "bad_request", 401 "unauthorized", 404 "not_found", 405
// "method_not_allowed", 409 "conflict", 413 "too_large", 503 "unavailable",
// anything else "internal".
std::string_view ErrorCodeFor(int http_status);

}  // namespace mlpipe::server
