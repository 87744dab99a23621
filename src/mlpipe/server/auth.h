// Which requests of `mlpipe server` need its bearer token
// (base/bearer_token.h): every request when the server listens beyond
// loopback, and every mutating request (POST) always.
#pragma once

#include <string_view>

#include "mlpipe/base/bearer_token.h"

namespace mlpipe::server {

// Whether a request needs the token.
inline bool NeedsToken(bool loopback_server, std::string_view method) {
  return !loopback_server || method != "GET";
}

}  // namespace mlpipe::server
