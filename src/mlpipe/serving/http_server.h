// HttpServer: the small HTTP/1.1 transport under the model server. It knows
// nothing of models: it parses requests, calls one handler, writes answers.
//
// Threading: one acceptor thread plus a fixed pool of `threads` workers, each
// serving one open connection at a time with blocking calls (connections
// beyond the pool wait in a queue for a free worker, as with cpp-httplib's
// pool). A keep-alive request whose bytes arrive together costs one recv and
// one sendmsg (headers and body in one call): no poll, no timer; the
// timeouts are the socket's SO_RCVTIMEO / SO_SNDTIMEO. Beast parses and
// serializes (http_server.cc only; this header does not include Boost).
//
// Errors the transport answers itself, with {"error": "..."} bodies: a body
// over max_body_bytes -> 413, headers over max_header_bytes -> 431, an
// unparsable request -> 400, a method other than GET, POST, HEAD -> 405. After
// 413, 431 and 400 the connection is closed (the stream cannot be resynced).
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
// the workers; Bind, Start, Shutdown and the destructor from one thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "mlpipe/base/status.h"

namespace mlpipe::serving {

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
  // connection's worker calls `stream` with a writer that sends bytes at
  // once (false when the client is gone or the server stops). The
  // connection closes when `stream` returns. Holds one worker meanwhile.
  using Writer = std::function<bool(std::string_view bytes)>;
  std::function<void(const Writer& write)> stream;
};

// Called on a worker thread for each GET and POST request; fills the
// response. An exception escaping it becomes a 500 answer.
using HttpHandler = std::function<void(const HttpRequest&, HttpResponse&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";      // bind address (name or numeric); default loopback only
  int port = 0;                        // 0 = any free port (see port())
  int threads = 16;                    // workers, one per open connection; 1..1024, default 16
  size_t max_body_bytes = 1 << 20;     // larger bodies get 413; default 1 MiB
  size_t max_header_bytes = 16 << 10;  // larger request headers get 431; default 16 KiB
  int read_timeout_s = 5;              // longest wait for more bytes of a started request; default 5 s
  int write_timeout_s = 5;             // longest wait for the client to take response bytes; default 5 s
  int keep_alive_timeout_s = 5;  // an open connection idle this long between requests is closed; default 5 s
  // SO_REUSEPORT: other processes (of the same user) may bind the same
  // address and port at once, and the kernel spreads new connections over
  // the listeners: a new server takes over a port while the old one drains.
  // Default off (a second bind is an error).
  bool reuse_port = false;
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
  int port() const { return port_; }
  // Starts the acceptor and the workers. Call once.
  void Start();
  // Stops accepting; idle keep-alive connections are closed at once; a
  // connection in the middle of a request finishes it (answered with
  // Connection: close) and closes. Waits up to grace_ns for that, then cuts
  // the connections still open and waits for their handlers to return. Joins
  // every thread. True if everything drained within the grace period.
  bool Shutdown(int64_t grace_ns);

 private:
  // What Shutdown knows of the connection one worker is serving.
  struct Slot {
    int fd = -1;                    // -1 = none; written under mu_
    std::atomic<bool> idle{false};  // blocked waiting for the next request
  };

  HttpServer(HttpServerOptions options, HttpHandler handler, int listen_fd, int port);
  void AcceptLoop();
  void Enqueue(int fd);  // hands an accepted connection to the workers
  void WorkerLoop(Slot* slot);
  // Serves one accepted connection until it closes (http_server.cc).
  void ServeConnection(int fd, Slot* slot);
  // shutdown(2)s the connections being served: the idle ones, or all.
  void CutConnections(bool idle_only);

  const HttpServerOptions options_;
  const HttpHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};  // set once by Shutdown, read by every connection

  std::mutex mu_;
  std::condition_variable work_cv_;  // a connection was queued, or stopping_
  std::condition_variable done_cv_;  // a worker exited
  std::deque<int> queue_;            // accepted, waiting for a worker
  bool accept_closed_ = false;       // the listener is closed: workers leave once queue_ is empty
  std::vector<Slot> slots_;          // one per worker
  int workers_running_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> workers_;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace mlpipe::serving
