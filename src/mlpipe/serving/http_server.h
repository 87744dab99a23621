// HttpServer: the small HTTP/1.1 transport under the model server. It knows
// nothing of models: it parses requests, calls one handler, writes answers.
//
// Threading: one I/O thread runs an event loop (Boost.Asio) that owns every
// socket: it accepts, waits for requests and reads them (Beast's parser), so
// an idle keep-alive connection costs a descriptor and a few hundred bytes,
// no thread. A complete request goes to a bounded queue served by a fixed
// pool of `threads` workers that run the handler; the worker writes the
// answer itself when the socket takes it whole (the common case: one
// sendmsg), else the loop writes the rest. While no other request waits for
// a worker and another worker is idle, the worker then waits a few
// milliseconds (one blocking recv, the kernel's timer tick) for the
// connection's next request and serves it too when it arrives whole (a
// keep-alive client in a loop costs no hand-over and two system calls a
// request); anything partial goes back to the loop, and so does a connection
// that stays quiet (an idle connection holds no thread). A
// streamed answer (SSE) runs on a thread of its own, so it never holds a
// worker. Beast parses and serializes. Files: http_transport.h (the loop
// and the acceptor), http_connection.h (a connection), http_worker_pool.h
// (the workers and their queue); this header does not include Boost.
//
// Deadlines: an idle connection is closed after keep_alive_timeout_s; a
// request must arrive whole (headers and body) within request_timeout_s of
// its first byte, else it is answered 408 and the connection closed; an
// answer the client does not take within write_timeout_s is cut.
//
// Bounds: beyond max_connections open sockets, a new connection is answered
// 503 with Retry-After and closed; beyond max_queued_requests parsed
// requests waiting for a worker, a request is answered 503 with
// Retry-After: 1 and the connection stays usable. Stats() counts both.
//
// Errors the transport answers itself, with {"error": "..."} bodies: a body
// over max_body_bytes -> 413, headers over max_header_bytes -> 431, an
// unparsable request -> 400, a method other than GET, POST, HEAD -> 405. After
// 413, 431, 400 and 408 the connection is closed (the stream cannot be
// resynced). A request target in absolute form ("http://host/p?q") is served
// as its origin form ("/p?q").
//
// Lifecycle: Bind (validates options, listens) -> Start (serves on its own
// threads) -> Shutdown (stops accepting: takes the connections already in
// the listener's backlog, closes the listener, closes idle keep-alive
// connections, lets in-flight requests and the requests of connections not
// yet read finish, joins the threads).
//
// Hand-over on one port (reuse_port): a new server binds the same port while
// the old one runs, and from its Start on receives every new connection
// (the reuseport group's steering program); the old one, shut down, serves
// what it has and exits. No connection is reset on the way. The destructor shuts
// down with no grace. Thread-safety: the handler is called concurrently from
// the workers; Stats from any thread; Bind, Start, Shutdown and the
// destructor from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::serving {

namespace internal {
class HttpTransport;  // the event loop and the acceptor (http_transport.h)
}

struct HttpRequest {
  std::string method;  // "GET" or "POST" (a HEAD request reaches the handler as "GET")
  std::string target;  // as sent: path and ?query
  std::string path;    // the target without ?query, percent-decoded
  std::string body;    // empty when the request has no body (no Content-Length is an empty body)
  std::string remote;  // the client's address ("127.0.0.1", "::1"), "" if unknown
  // The header fields in the order sent. The views point into the server's
  // parser and are valid for the duration of the handler call.
  std::vector<std::pair<std::string_view, std::string_view>> headers;

  // The value of the first field named `name` (case-insensitive); "" if absent.
  std::string_view header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";  // "" = no Content-Type field
  std::string body;
  // Extra header fields. Content-Length and Connection are the server's.
  std::vector<std::pair<std::string, std::string>> headers;
  // A streamed answer (Server-Sent Events): when set, `body` is ignored; the
  // status line and headers go out at once, without Content-Length, and the
  // server calls `stream` with a writer that sends bytes at once (false when
  // the client is gone, does not take them within write_timeout_s, or the
  // server stops). The connection closes when `stream` returns. Runs on a
  // thread of its own (not a worker's).
  using Writer = std::function<bool(std::string_view bytes)>;
  std::function<void(const Writer& write)> stream;
};

// Called on a worker thread for each GET and POST request; fills the
// response. An exception escaping it becomes a 500 answer.
using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";      // bind address (name or numeric); default loopback only
  int port = 0;                        // 0 = any free port (see port())
  int threads = 16;                    // workers running the handler; 1..1024, default 16
  size_t max_body_bytes = 1 << 20;     // larger bodies get 413; default 1 MiB
  size_t max_header_bytes = 16 << 10;  // larger request headers get 431; default 16 KiB
  // From a request's first byte to its last (headers and body); past it the
  // request is answered 408 and the connection closed. Default 10 s.
  int request_timeout_s = 10;
  int write_timeout_s = 5;       // longest wait for the client to take response bytes; default 5 s
  int keep_alive_timeout_s = 5;  // an open connection idle this long between requests is closed; default 5 s
  // SO_REUSEPORT: other processes (of the same user) may bind the same
  // address and port at once, and the kernel spreads new connections over
  // the listeners: a new server takes over a port while the old one drains.
  // Default off (a second bind is an error).
  bool reuse_port = false;
  // Open connections at most; beyond, a new connection is answered 503 with
  // Retry-After and closed. Default 10,000 (the descriptor limit, raised to
  // its hard limit at Bind, should allow it: Bind logs when it does not).
  int max_connections = 10000;
  // Parsed requests waiting for a worker at most; beyond, the request is
  // answered 503 with Retry-After: 1. 0 = 4 x threads (the default).
  int max_queued_requests = 0;
  // Where the transport's log lines go (a descriptor limit below
  // max_connections). Default: stderr.
  std::function<void(const std::string&)> log;
};

// What the transport is doing now, and what it has done since Start.
struct HttpServerStats {
  int64_t open_connections = 0;            // sockets open now (idle, reading, queued, handled, streaming)
  int64_t queued_requests = 0;             // parsed requests waiting for a worker
  int64_t busy_workers = 0;                // workers running the handler now
  int64_t workers = 0;                     // the pool's size (options.threads)
  int64_t streams = 0;                     // streamed answers (SSE) being written now
  int64_t requests_total = 0;              // requests read whole (answered by the handler or the transport)
  int64_t rejected_connections_total = 0;  // connections answered 503 at max_connections
  int64_t rejected_requests_total = 0;     // requests answered 503 with the queue full
  int64_t request_timeouts_total = 0;      // requests not read whole within request_timeout_s
  int64_t max_connections = 0;             // the bound in force
  int64_t max_queued_requests = 0;         // the bound in force
};

class HttpServer {
 public:
  // Validates the options (InvalidArgument) and listens on host:port
  // (Unavailable if the address cannot be bound). Serves nothing before Start.
  static StatusOr<std::unique_ptr<HttpServer>> Bind(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the chosen one when options.port was 0).
  int port() const;
  // Starts the event loop and the workers. Call once.
  void Start();
  // Stops accepting; idle keep-alive connections are closed at once; a
  // connection in the middle of a request finishes it (answered with
  // Connection: close) and closes. Waits up to grace_ns for that, then cuts
  // the connections still open and waits for their handlers to return. Joins
  // every thread. True if everything drained within the grace period.
  bool Shutdown(int64_t grace_ns);
  // A consistent-enough snapshot (each number read atomically on its own).
  HttpServerStats Stats() const;

 private:
  explicit HttpServer(std::unique_ptr<internal::HttpTransport> transport);
  std::unique_ptr<internal::HttpTransport> transport_;
};

}  // namespace mlpipe::serving
