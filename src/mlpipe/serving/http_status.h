// HttpStatusFor: the one place a Status becomes an HTTP status code.
#pragma once

#include <string>

#include "mlpipe/base/status.h"

namespace mlpipe::serving {

// InvalidArgument -> 400, NotFound -> 404, AlreadyExists -> 409, ResourceExhausted -> 413 (a body
// or batch over a limit), Unavailable / FailedPrecondition -> 503 (model not
// ready), DeadlineExceeded -> 504, anything else -> 500. OK -> 200.
int HttpStatusFor(const Status& status);

// {"error": "<message>"} as compact JSON text.
std::string ErrorBody(const std::string& message);

}  // namespace mlpipe::serving
