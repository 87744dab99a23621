// HttpServer (http_server.h): options, Bind and the public face. The
// machinery is internal: the event loop and acceptor (http_transport.h), the
// connections (http_connection.h), the workers and their queue
// (http_worker_pool.h), the OS calls (http_socket.h).
#include "mlpipe/serving/http_server.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <utility>

#include "mlpipe/serving/http_socket.h"
#include "mlpipe/serving/http_transport.h"

namespace mlpipe::serving {

namespace {

// Descriptors the process needs besides connections (files, pipes, logs).
constexpr uint64_t kSpareDescriptors = 64;

Status Validate(const HttpServerOptions& o) {
  if (o.threads < 1 || o.threads > 1024) return InvalidArgumentError("http: threads must be 1..1024");
  if (o.port < 0 || o.port > 65535) return InvalidArgumentError("http: port must be 0..65535");
  if (o.request_timeout_s < 1 || o.write_timeout_s < 1 || o.keep_alive_timeout_s < 1) {
    return InvalidArgumentError("http: timeouts must be at least 1 s");
  }
  if (o.max_header_bytes < 1024) return InvalidArgumentError("http: max_header_bytes must be at least 1 KiB");
  if (o.max_connections < 1) return InvalidArgumentError("http: max_connections must be at least 1");
  if (o.max_queued_requests < 0) return InvalidArgumentError("http: max_queued_requests must be 0 or more");
  return OkStatus();
}

}  // namespace

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (internal::EqualsIgnoreCase(field, name)) return value;
  }
  return {};
}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Bind(HttpServerOptions options, HttpHandler handler) {
  RETURN_IF_ERROR(Validate(options));
  const uint64_t limit = internal::RaiseFileLimit();
  if (static_cast<uint64_t>(options.max_connections) + kSpareDescriptors > limit) {
    const std::string line = fmt::format(
        "http: max_connections is {} but the open-file limit (RLIMIT_NOFILE) is {}: connections beyond about "
        "{} fail to be accepted until others close (raise the limit, e.g. `ulimit -n`)",
        options.max_connections, limit, limit > kSpareDescriptors ? limit - kSpareDescriptors : 0);
    if (options.log) {
      options.log(line);
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }
  ASSIGN_OR_RETURN(int fd, internal::Listen(options.host, options.port, options.reuse_port));
  const int port = internal::BoundPort(fd);
  return std::unique_ptr<HttpServer>(new HttpServer(
      std::make_unique<internal::HttpTransport>(std::move(options), std::move(handler), fd, port)));
}

HttpServer::HttpServer(std::unique_ptr<internal::HttpTransport> transport)
    : transport_(std::move(transport)) {}

HttpServer::~HttpServer() { transport_->Shutdown(0); }

int HttpServer::port() const { return transport_->port(); }
void HttpServer::Start() { transport_->Start(); }
bool HttpServer::Shutdown(int64_t grace_ns) { return transport_->Shutdown(grace_ns); }
HttpServerStats HttpServer::Stats() const { return transport_->Stats(); }

}  // namespace mlpipe::serving
