// The server's bearer token: read from --token-file, or created there (0600,
// 32 random bytes as hex) when missing; and the rule of which requests need
// it: every request when the server listens beyond loopback, and every
// mutating request (POST) always.
#pragma once

#include <string>
#include <string_view>

#include "mlpipe/base/status.h"

namespace mlpipe::server {

// Reads the token (first line, blanks trimmed), or creates the file with a
// new one. InvalidArgument for an empty token file or one others may read.
StatusOr<std::string> LoadOrCreateToken(const std::string& path);

// Whether `host` (a bind address) is loopback only: 127.0.0.0/8, ::1,
// "localhost".
bool IsLoopbackHost(std::string_view host);

// Whether a request needs the token.
bool NeedsToken(bool loopback_server, std::string_view method);

// Whether the Authorization header value carries `token` ("Bearer TOKEN"),
// compared in constant time.
bool TokenMatches(std::string_view authorization, std::string_view token);

}  // namespace mlpipe::server
