// A server's bearer token, shared by `mlpipe server` and `mlpipe serve`: read
// from a token file, or created there (0600, 32 random bytes as hex) when
// missing; given by clients as "Authorization: Bearer TOKEN". Which requests
// need it is each server's rule (server/auth.h, serving/server.h).
#pragma once

#include <string>
#include <string_view>

#include "mlpipe/base/status.h"

namespace mlpipe {

// Reads the token (first line, blanks trimmed), or creates the file with a
// new one. InvalidArgument for an empty token file or one others may read.
StatusOr<std::string> LoadOrCreateToken(const std::string& path);

// Whether `host` (a bind address) is loopback only: 127.0.0.0/8, ::1,
// "localhost".
bool IsLoopbackHost(std::string_view host);

// Whether the Authorization header value carries `token` ("Bearer TOKEN"),
// compared in constant time.
bool TokenMatches(std::string_view authorization, std::string_view token);

}  // namespace mlpipe
