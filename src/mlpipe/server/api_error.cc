#include "mlpipe/server/api_error.h"

#include <nlohmann/json.hpp>
#include <string>

#include "mlpipe/serving/http_status.h"

namespace mlpipe::server {

void SetApiError(serving::HttpResponse& response, int status, std::string_view code,
                 std::string_view message) {
  response.status = status;
  response.content_type = "application/json";
  nlohmann::json body = {{"error", {{"code", std::string(code)}, {"message", std::string(message)}}}};
  // Replaces invalid UTF-8 (a ref or step name as the client sent it) rather than throwing.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void SetApiError(serving::HttpResponse& response, const Status& status) {
  const int http = serving::HttpStatusFor(status);
  SetApiError(response, http, ErrorCodeFor(http), status.message());
}

std::string_view ErrorCodeFor(int http_status) {
  switch (http_status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "too_large";
    case 503:
      return "unavailable";
    default:
      return "internal";
  }
}

}  // namespace mlpipe::server
