// HttpServer (http_server.h): the event loop that owns the sockets (accept,
// wait, read with Beast's parser, deadlines), the worker pool that runs the
// handler, and shutdown. One I/O thread: parsing costs a few microseconds a
// request, far less than a handler, and one loop thread needs no strands;
// the workers write the answers themselves, so the loop's share of a
// request stays small.
//
// Ownership: a connection's state is the loop thread's, except while its
// request is with a worker (kHandling): then the worker alone touches it,
// and the loop never closes its socket (so that the descriptor number is not
// reused under the worker), it only shutdown(2)s it past the grace period.
//
// Beast's string_view is std::string_view here (one translation unit uses
// Beast, so the choice cannot disagree with another).
#define BOOST_BEAST_USE_STD_STRING_VIEW 1

#include "mlpipe/serving/http_server.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <utility>

#include "mlpipe/serving/http_socket.h"
#include "mlpipe/serving/http_status.h"

namespace mlpipe::serving {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using boost::system::error_code;
using net::ip::tcp;

namespace {

// Buffers handed to one sendmsg; Beast's header and body are a few.
constexpr int kMaxIov = 64;
// After an error answer, unread request bytes are drained this long at most.
constexpr auto kLingerTime = std::chrono::seconds(2);
// How long a connection taken from the backlog at shutdown waits for its
// first request: on a network, the request follows the handshake's last
// ACK at once (or travels with it).
constexpr auto kFirstRequestWhileStopping = std::chrono::milliseconds(500);
// Out of descriptors: the next accept is tried after this long.
constexpr auto kAcceptRetry = std::chrono::milliseconds(10);
// How long a worker with nothing else to do waits for the next request on
// the connection it has just answered (ReadNextRequestHere): the socket's
// SO_RCVTIMEO, which the kernel rounds up to its timer tick (4 to 16 ms
// measured on the 2-core VM, 2026-12-07).
constexpr int kNextRequestWaitUs = 1000;
// The first recv of a request a worker waits for asks for this much.
constexpr size_t kFirstRead = 4096;
// Read buffer capacity an idle connection keeps.
constexpr size_t kKeptBuffer = 16 << 10;
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

// A failed call on a non-blocking socket as Beast sees it: nothing to do
// now is net::error::would_block, anything else the system error.
error_code NonBlockingError(int err) {
  return err == EAGAIN || err == EWOULDBLOCK ? error_code(net::error::would_block)
                                             : error_code(err, boost::system::system_category());
}

// A connected non-blocking socket as Beast's SyncWriteStream for a worker:
// one sendmsg of the whole buffer sequence (status line, fields and body in
// one call), never waiting: what the socket does not take now is
// net::error::would_block, and the loop writes the rest.
class HttpNowWriter {
 public:
  explicit HttpNowWriter(int fd) : fd_(fd) {}

  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers, error_code& ec) {
    iovec iov[kMaxIov];
    int n = 0;
    for (auto it = net::buffer_sequence_begin(buffers);
         it != net::buffer_sequence_end(buffers) && n < kMaxIov; ++it) {
      net::const_buffer b = *it;
      if (b.size() == 0) continue;
      iov[n].iov_base = const_cast<void*>(b.data());
      iov[n].iov_len = b.size();
      ++n;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(n);
    for (;;) {
      // MSG_NOSIGNAL: a client that went away is EPIPE here, not SIGPIPE for the process.
      const ssize_t sent = sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (sent >= 0) {
        ec = {};
        return static_cast<size_t>(sent);
      }
      if (errno == EINTR) continue;
      ec = NonBlockingError(errno);
      return 0;
    }
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers) {
    error_code ec;
    const size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  int fd_;
};

// A connected non-blocking socket as Beast's SyncReadStream for a worker:
// one recv of what is there; nothing there is net::error::would_block.
class HttpNowReader {
 public:
  explicit HttpNowReader(int fd) : fd_(fd) {}

  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, error_code& ec) {
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
      net::mutable_buffer b = *it;
      if (b.size() == 0) continue;
      for (;;) {
        const ssize_t n = recv(fd_, b.data(), b.size(), MSG_DONTWAIT);
        if (n > 0) {
          ec = {};
          return static_cast<size_t>(n);
        }
        if (n == 0) {
          ec = net::error::eof;
          return 0;
        }
        if (errno == EINTR) continue;
        ec = NonBlockingError(errno);
        return 0;
      }
    }
    ec = {};
    return 0;
  }
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    error_code ec;
    const size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  int fd_;
};

// Sends all of `bytes` on a non-blocking socket, waiting up to timeout_ms
// each time it takes nothing. False when the client is gone or too slow.
bool SendAllWaiting(int fd, std::string_view bytes, int timeout_ms) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    pollfd ready{fd, POLLOUT, 0};
    if (poll(&ready, 1, timeout_ms) <= 0 || (ready.revents & (POLLERR | POLLHUP)) != 0) return false;
  }
  return true;
}

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

HttpRequest MakeRequest(Request& msg, bool head) {
  HttpRequest req;
  req.method = head ? std::string("GET") : std::string(msg.method_string());
  req.target = internal::OriginForm(msg.target());
  req.path = internal::DecodedPath(req.target);
  req.body = std::move(msg.body());
  req.headers.reserve(8);
  for (const auto& field : msg) req.headers.emplace_back(field.name_string(), field.value());
  return req;
}

bool IsParseError(const error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

HttpResponse ErrorResponse(int status, const std::string& message) {
  HttpResponse res;
  res.status = status;
  res.body = ErrorBody(message);
  return res;
}


}  // namespace

namespace internal {

class HttpConnection;

// What the connections share: options, handler, loop, pool, counters.
class HttpTransport {
 public:
  HttpTransport(HttpServerOptions options, HttpHandler handler, int listen_fd, int port)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        port_(port),
        max_queued_(options_.max_queued_requests > 0 ? static_cast<size_t>(options_.max_queued_requests)
                                                     : static_cast<size_t>(options_.threads) * 4),
        listen_fd_(listen_fd),
        acceptor_(ioc_),
        accept_retry_(ioc_) {}
  ~HttpTransport() {
    if (listen_fd_ >= 0) close(listen_fd_);
  }

  void Start();
  bool Shutdown(int64_t grace_ns);
  HttpServerStats Stats() const;
  int port() const { return port_; }

  // For the connections.
  const HttpServerOptions& options() const { return options_; }
  const HttpHandler& handler() const { return handler_; }
  net::io_context& ioc() { return ioc_; }
  bool stopping() const { return stopping_.load(); }
  bool cut() const { return cut_.load(); }
  void Register(HttpConnection* c);    // loop thread
  // A worker may wait for its connection's next request while at least one
  // other worker does not (it is there for the queue): true if this one may
  // (then EndWaitForNext after the wait).
  bool BeginWaitForNext();
  void EndWaitForNext() { waiting_for_next_.fetch_sub(1, std::memory_order_relaxed); }
  void Unregister(HttpConnection* c);  // loop thread
  // Queues a read request for a worker; false when max_queued_requests wait already.
  bool Submit(std::shared_ptr<HttpConnection> c);
  // Runs `stream` on a thread of its own, counted in Stats().streams.
  void RunStream(std::function<void()> stream);
  void CountRequest() { requests_.fetch_add(1, std::memory_order_relaxed); }
  void CountTimeout() { timeouts_.fetch_add(1, std::memory_order_relaxed); }
  void CountRejectedRequest() { rejected_requests_.fetch_add(1, std::memory_order_relaxed); }
  void Busy(int delta) { busy_.fetch_add(delta, std::memory_order_relaxed); }
  size_t max_queued() const { return max_queued_; }
  int64_t queued() const { return queued_.load(std::memory_order_relaxed); }
  tcp protocol() const { return protocol_; }

 private:
  void WaitForConnections();
  void AcceptReady();
  void Admit(int fd, std::string remote, bool while_stopping);
  void WorkerLoop();
  void RunOnLoop(const std::function<void()>& fn);
  void BeginShutdown();  // loop thread
  void CloseAll(bool only_idle);

  const HttpServerOptions options_;
  const HttpHandler handler_;
  const int port_;
  const size_t max_queued_;
  int listen_fd_;  // -1 once closed

  net::io_context ioc_{1};
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard_;
  tcp::acceptor acceptor_;  // waits on listen_fd_ (accept4 itself is ours: SOCK_CLOEXEC)
  tcp protocol_ = tcp::v4();
  net::steady_timer accept_retry_;
  std::unordered_set<HttpConnection*> connections_;  // registered ones; loop thread only
  std::thread io_thread_;
  std::vector<std::thread> workers_;

  std::atomic<bool> stopping_{false};  // set once by Shutdown
  std::atomic<bool> cut_{false};       // past the grace period: queued requests are dropped
  std::atomic<int64_t> open_{0}, busy_{0}, streams_{0}, queued_{0};
  std::atomic<int> waiting_for_next_{0};  // workers in ReadNextRequestHere's wait
  std::atomic<int64_t> requests_{0}, rejected_connections_{0}, rejected_requests_{0}, timeouts_{0};

  std::mutex mu_;
  std::condition_variable work_cv_;  // a request was queued, or the pool closes
  std::condition_variable done_cv_;  // a connection closed, a stream ended
  std::deque<std::shared_ptr<HttpConnection>> queue_;
  bool pool_closing_ = false;
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace internal

namespace internal {

// One connection's state machine. Loop thread: Start, Reject, the waits and
// reads, OnShutdown, Cut, Close. Worker: RunHandler.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(HttpTransport& server, tcp::socket socket, std::string remote, bool accepted_while_stopping)
      : server_(server),
        socket_(std::move(socket)),
        fd_(socket_.native_handle()),
        remote_(std::move(remote)),
        timer_(server.ioc()),
        accepted_while_stopping_(accepted_while_stopping) {}
  ~HttpConnection() {
    if (!closed_ && !socket_.is_open()) ::close(fd_);  // detached and never handed back
  }
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Serves requests until the client closes, a deadline, an error, or
  // Connection: close.
  void Start() {
    registered_ = true;
    server_.Register(this);
    error_code ec;
    // Answers are small and complete: send them now, not after the
    // client's delayed ACK (Nagle).
    socket_.set_option(tcp::no_delay(true), ec);
    WaitForRequest();
  }
  // Answers 503 (max_connections reached) and closes.
  void Reject() {
    HttpResponse res = ErrorResponse(503, "too many open connections; retry later");
    res.headers.emplace_back("Retry-After", "1");
    linger_ = true;
    Respond(res, 11, /*keep_alive=*/false, /*head=*/false);
  }
  // Shutdown began: an idle connection with no request on the way closes.
  void OnShutdown() {
    if (phase_ != Phase::kIdle || accepted_while_stopping_) return;
    error_code ec;
    if (socket_.available(ec) > 0 && !ec) return;  // its next request is here: answered, then closed
    Close();
  }
  // Past the grace period: ends the connection (its handler, if running,
  // finishes; the answer finds the socket shut).
  void Cut() {
    if (phase_ == Phase::kHandling) {
      ::shutdown(fd_, SHUT_RDWR);
      return;
    }
    Close();
  }
  // Worker: runs the handler and writes the answer (or hands it to the loop).
  void RunHandler();

 private:
  enum class Next { kNone, kComplete, kPartial, kError };  // what ReadNextRequestHere found
  Next ReadNextRequestHere(error_code& ec);
  ssize_t ReceiveWaiting(net::mutable_buffer b);
  void ContinueReading();
  // While a worker has the connection, its descriptor is out of the loop's
  // epoll set, so the next request wakes the worker alone (not the loop
  // too). Loop thread; Attach undoes Detach.
  void Detach() {
    error_code ec;
    socket_.release(ec);
  }
  void Attach() {
    if (socket_.is_open()) return;
    blocking_ = false;  // Asio makes it non-blocking again at its first wait or read
    error_code ec;
    socket_.assign(server_.protocol(), fd_, ec);
  }
  // From a worker or a stream thread: hands the connection back to the loop,
  // which runs `f` on it.
  template <class F>
  void PostToLoop(F f) {
    net::post(server_.ioc(), [self = shared_from_this(), f] {
      self->Attach();
      f(*self);
    });
  }
  enum class Phase { kIdle, kReading, kHandling, kWriting, kClosing };

  void WaitForRequest();
  void ReadRequest();
  void OnHeader(const error_code& ec);
  void ReadBody();
  void OnRequest(const error_code& ec);
  void Fail(const error_code& ec);
  // Prepares the answer and sends what the socket takes now; then OnSent.
  void Respond(HttpResponse& res, unsigned version, bool keep_alive, bool head);
  void Prepare(HttpResponse& res, unsigned version, bool keep_alive, bool head);
  bool SendNow(error_code& ec);
  void OnSent(const error_code& ec, bool done);  // loop
  void AfterWrite(const error_code& ec);         // loop
  void StartStream(HttpResponse res, unsigned version);
  void Linger();
  void Close();
  // The connection's one deadline: past it, the pending operation is
  // cancelled and its handler sees timed_out_.
  void Arm(std::chrono::steady_clock::duration d);
  void Disarm();

  HttpTransport& server_;
  tcp::socket socket_;
  const int fd_;  // socket_'s descriptor, also while detached
  const std::string remote_;  // the client's numeric address (HttpRequest::remote)
  net::steady_timer timer_;
  const bool accepted_while_stopping_;
  uint64_t timer_generation_ = 0;
  bool timed_out_ = false;
  bool registered_ = false;
  // Worker: the descriptor is in blocking mode (for ReadNextRequestHere's
  // recv; every other call on it says MSG_DONTWAIT). Attach resets it.
  bool blocking_ = false;
  bool receive_timeout_set_ = false;  // SO_RCVTIMEO is kNextRequestWaitUs
  bool closed_ = false;
  bool continue_sent_ = false;  // a 100 Continue went out for the request being read
  bool keep_alive_ = false;     // after the answer being written, serve the next request
  bool linger_ = false;         // after the answer being written, drain and close
  Phase phase_ = Phase::kIdle;
  beast::flat_buffer buffer_;  // what was read and not yet parsed (a pipelined request)
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<Response> response_;
  std::optional<http::response_serializer<http::string_body>> serializer_;
};

void HttpConnection::Arm(std::chrono::steady_clock::duration d) {
  const uint64_t generation = ++timer_generation_;
  timed_out_ = false;
  timer_.expires_after(d);
  timer_.async_wait([self = shared_from_this(), generation](const error_code& ec) {
    if (ec || generation != self->timer_generation_ || self->closed_) return;
    self->timed_out_ = true;
    error_code ignored;
    self->socket_.cancel(ignored);
  });
}

void HttpConnection::Disarm() {
  ++timer_generation_;
  timer_.cancel();
}

// Waits, with the keep-alive timeout, for the first bytes of the next
// request; costs no buffer and no thread meanwhile.
void HttpConnection::WaitForRequest() {
  if (buffer_.size() > 0) return ReadRequest();  // a pipelined request is already here
  if (server_.stopping() && !accepted_while_stopping_) return Close();
  phase_ = Phase::kIdle;
  // An idle connection keeps no large buffer (a big request's); a small one
  // is kept, not reallocated for every request.
  if (buffer_.capacity() > kKeptBuffer) buffer_.shrink_to_fit();
  Arm(accepted_while_stopping_ ? std::chrono::steady_clock::duration(kFirstRequestWhileStopping)
                               : std::chrono::seconds(server_.options().keep_alive_timeout_s));
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
    if (ec || self->closed_) return self->Close();
    self->ReadRequest();
  });
}

// Reads one request whole within request_timeout_s of its first byte.
void HttpConnection::ReadRequest() {
  phase_ = Phase::kReading;
  continue_sent_ = false;
  Arm(std::chrono::seconds(server_.options().request_timeout_s));
  parser_.emplace();
  parser_->header_limit(
      static_cast<std::uint32_t>(std::min<size_t>(server_.options().max_header_bytes, UINT32_MAX)));
  parser_->body_limit(server_.options().max_body_bytes);
  http::async_read_header(socket_, buffer_, *parser_,
                          [self = shared_from_this()](const error_code& ec, size_t) { self->OnHeader(ec); });
}

void HttpConnection::OnHeader(const error_code& ec) {
  if (ec) return Fail(ec);
  if (parser_->is_done()) return OnRequest({});
  const Request& head = parser_->get();
  if (head.version() >= 11 && beast::iequals(head[http::field::expect], "100-continue")) {
    // curl and others wait for this before they send a large body.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    continue_sent_ = true;
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](const error_code& wec, size_t) {
                       if (wec) return self->Fail(wec);
                       self->ReadBody();
                     });
    return;
  }
  ReadBody();
}

void HttpConnection::ReadBody() {
  http::async_read(socket_, buffer_, *parser_,
                   [self = shared_from_this()](const error_code& ec, size_t) { self->OnRequest(ec); });
}

void HttpConnection::OnRequest(const error_code& ec) {
  if (ec) return Fail(ec);
  Disarm();  // the handler's time is not the client's
  server_.CountRequest();
  Request& msg = parser_->get();
  const http::verb verb = msg.method();
  const bool keep_alive = msg.keep_alive() && !server_.stopping();
  if (verb != http::verb::get && verb != http::verb::post && verb != http::verb::head) {
    HttpResponse res = ErrorResponse(405, "method not allowed");
    res.headers.emplace_back("Allow", "GET, POST, HEAD");
    return Respond(res, msg.version(), keep_alive, /*head=*/false);
  }
  phase_ = Phase::kHandling;
  Detach();
  if (!server_.Submit(shared_from_this())) {
    Attach();
    phase_ = Phase::kWriting;
    server_.CountRejectedRequest();
    HttpResponse res = ErrorResponse(
        503,
        fmt::format("server busy: {} requests are waiting for a worker; retry later", server_.max_queued()));
    res.headers.emplace_back("Retry-After", "1");
    Respond(res, msg.version(), keep_alive, verb == http::verb::head);
  }
}

// A request that could not be read whole: answers what can be answered;
// always closes.
void HttpConnection::Fail(const error_code& ec) {
  if (closed_) return;
  if (timed_out_) {
    // The request's deadline passed (or the idle wait's, or the 100 Continue's write).
    if (phase_ != Phase::kReading) return Close();
    server_.CountTimeout();
    if (continue_sent_) return Close();  // something was sent: a 408 would not be read as the answer
    HttpResponse res = ErrorResponse(
        408, fmt::format("request not received whole within {} s", server_.options().request_timeout_s));
    linger_ = true;
    return Respond(res, 11, /*keep_alive=*/false, /*head=*/false);
  }
  std::optional<HttpResponse> res;
  if (ec == http::error::body_limit) {
    res = ErrorResponse(413, "request body exceeds the size limit");
  } else if (ec == http::error::header_limit) {
    res = ErrorResponse(431, "request headers exceed the size limit");
  } else if (IsParseError(ec)) {
    res = ErrorResponse(400, fmt::format("bad request ({})", ec.message()));
  }
  if (!res) return Close();  // a reset or EOF mid-request: nobody to answer
  linger_ = true;
  Respond(*res, 11, /*keep_alive=*/false, /*head=*/false);
}

void HttpConnection::Prepare(HttpResponse& res, unsigned version, bool keep_alive, bool head) {
  response_.emplace();
  Response& msg = *response_;
  msg.version(version);
  const int status = res.status >= 100 && res.status <= 599 ? res.status : 500;
  msg.result(static_cast<unsigned>(status));
  if (!res.content_type.empty()) msg.set(http::field::content_type, res.content_type);
  for (const auto& [name, value] : res.headers) msg.insert(name, value);
  // These statuses carry no body (Beast refuses to frame one).
  if (status < 200 || status == 204 || status == 304) res.body.clear();
  msg.body() = std::move(res.body);
  msg.keep_alive(keep_alive);
  msg.prepare_payload();
  if (head) msg.body().clear();  // the GET answer's Content-Length, no body
  keep_alive_ = keep_alive;
  serializer_.emplace(msg);
}

bool HttpConnection::SendNow(error_code& ec) {
  HttpNowWriter now(fd_);
  http::write(now, *serializer_, ec);
  if (ec == net::error::would_block) {
    ec = {};
    return false;
  }
  return !ec;
}

// Loop thread.
void HttpConnection::Respond(HttpResponse& res, unsigned version, bool keep_alive, bool head) {
  Prepare(res, version, keep_alive, head);
  error_code ec;
  const bool done = SendNow(ec);
  OnSent(ec, done);
}

void HttpConnection::OnSent(const error_code& ec, bool done) {
  if (ec || closed_) return Close();
  if (done) return AfterWrite({});
  // The client does not take the answer at once: the loop writes the rest,
  // within write_timeout_s.
  phase_ = Phase::kWriting;
  Arm(std::chrono::seconds(server_.options().write_timeout_s));
  http::async_write(socket_, *serializer_,
                    [self = shared_from_this()](const error_code& wec, size_t) { self->AfterWrite(wec); });
}

void HttpConnection::AfterWrite(const error_code& ec) {
  Disarm();
  serializer_.reset();
  response_.reset();
  parser_.reset();
  if (ec || closed_) return Close();
  if (linger_) return Linger();
  if (!keep_alive_) return Close();
  WaitForRequest();
}

void HttpConnection::RunHandler() {
  if (server_.cut()) {  // dropped past the grace period, unanswered
    PostToLoop([](HttpConnection& c) { c.Close(); });
    return;
  }
  for (;;) {
    Request& msg = parser_->get();
    const http::verb verb = msg.method();
    const bool head = verb == http::verb::head;
    HttpResponse res;
    if (verb != http::verb::get && verb != http::verb::post && !head) {
      res = ErrorResponse(405, "method not allowed");
      res.headers.emplace_back("Allow", "GET, POST, HEAD");
    } else {
      server_.Busy(+1);
      HttpRequest req = MakeRequest(msg, head);
      req.remote = remote_;
      try {
        server_.handler()(req, res);
      } catch (const std::exception& e) {
        res = ErrorResponse(500, fmt::format("internal error: {}", e.what()));
      }
      server_.Busy(-1);
    }
    if (res.stream) return StartStream(std::move(res), msg.version());
    // Read after the handler: a request finishing during Shutdown says close.
    Prepare(res, msg.version(), msg.keep_alive() && !server_.stopping(), head);
    error_code ec;
    const bool done = SendNow(ec);
    Next next = Next::kNone;
    if (!ec && done && keep_alive_) next = ReadNextRequestHere(ec);
    switch (next) {
      case Next::kComplete:
        server_.CountRequest();
        continue;  // served on this worker, no hand-over
      case Next::kPartial:
        PostToLoop([](HttpConnection& c) { c.ContinueReading(); });
        return;
      case Next::kError:
        PostToLoop([ec](HttpConnection& c) {
          c.phase_ = Phase::kReading;
          c.Fail(ec);
        });
        return;
      case Next::kNone:
        PostToLoop([ec, done](HttpConnection& c) { c.OnSent(ec, done); });
        return;
    }
  }
}

// A client that sends its next request as soon as it has the answer (a
// keep-alive client in a loop) gets it read here, by the worker that
// answered, with no hand-over to the loop and back: the worker waits for it
// (kNextRequestWaitUs, rounded up to the kernel's tick), and only while no
// other request waits for a worker, and never with every worker at once
// (one is always there for the queue). The wait is one blocking recv with
// SO_RCVTIMEO, not poll() then recv: a request costs the worker two system
// calls (this recv, the answer's sendmsg). What is not there whole at once
// goes back to the loop, which reads the rest under the request deadline.
HttpConnection::Next HttpConnection::ReadNextRequestHere(error_code& ec) {
  if (server_.stopping() || server_.queued() > 0) return Next::kNone;
  const int fd = fd_;
  if (buffer_.size() == 0) {
    if (!server_.BeginWaitForNext()) return Next::kNone;
    const ssize_t n = ReceiveWaiting(buffer_.prepare(kFirstRead));
    const int err = errno;
    server_.EndWaitForNext();
    if (n == 0) {
      ec = http::error::end_of_stream;  // the client closed between requests
      return Next::kError;
    }
    if (n < 0) {
      if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR) return Next::kNone;  // nothing came
      ec = error_code(err, boost::system::system_category());
      return Next::kError;
    }
    buffer_.commit(static_cast<size_t>(n));
  }
  serializer_.reset();
  response_.reset();
  parser_.emplace();
  parser_->header_limit(
      static_cast<std::uint32_t>(std::min<size_t>(server_.options().max_header_bytes, UINT32_MAX)));
  parser_->body_limit(server_.options().max_body_bytes);
  HttpNowReader now(fd);
  http::read(now, buffer_, *parser_, ec);
  if (!ec) return Next::kComplete;
  if (ec == net::error::would_block) {
    ec = {};
    return buffer_.size() > 0 || parser_->got_some() ? Next::kPartial : Next::kNone;
  }
  return Next::kError;
}

// One recv that waits up to SO_RCVTIMEO: the descriptor is made blocking
// once per hand-over from the loop (Asio's own calls make it non-blocking
// again after Attach) and gets its timeout once per connection.
ssize_t HttpConnection::ReceiveWaiting(net::mutable_buffer b) {
  if (!blocking_) {
    int non_blocking = 0;
    if (ioctl(fd_, FIONBIO, &non_blocking) == 0) blocking_ = true;
  }
  if (!receive_timeout_set_) {
    const timeval wait{0, kNextRequestWaitUs};
    receive_timeout_set_ = setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait) == 0;
  }
  // Not blocking (either call failed): the recv takes what is there, else
  // EAGAIN, and the loop waits for the rest as it would after the timeout.
  return recv(fd_, b.data(), b.size(), 0);
}

// Loop thread: a request a worker began to read (ReadNextRequestHere).
void HttpConnection::ContinueReading() {
  if (closed_) return;
  phase_ = Phase::kReading;
  continue_sent_ = false;
  Arm(std::chrono::seconds(server_.options().request_timeout_s));
  if (parser_->is_header_done()) return OnHeader({});
  http::async_read_header(socket_, buffer_, *parser_,
                          [self = shared_from_this()](const error_code& ec, size_t) { self->OnHeader(ec); });
}

// A streamed answer: headers now, then whatever the handler's stream writes,
// on a thread of its own; the end of the stream is the end of the connection.
void HttpConnection::StartStream(HttpResponse res, unsigned version) {
  server_.RunStream([self = shared_from_this(), res = std::move(res), version]() mutable {
    const int fd = self->fd_;
    const int timeout_ms = self->server_.options().write_timeout_s * 1000;
    HttpTransport& server = self->server_;
    auto send = [&](std::string_view bytes) {
      return !server.stopping() && SendAllWaiting(fd, bytes, timeout_ms);
    };
    std::string head = fmt::format("HTTP/{}.{} {} {}\r\n", version / 10, version % 10, res.status,
                                   std::string(http::obsolete_reason(static_cast<http::status>(res.status))));
    if (!res.content_type.empty()) head += fmt::format("Content-Type: {}\r\n", res.content_type);
    for (const auto& [name, value] : res.headers) head += fmt::format("{}: {}\r\n", name, value);
    head += "Connection: close\r\n\r\n";
    if (send(head)) res.stream([&](std::string_view bytes) { return send(bytes); });
    self->PostToLoop([](HttpConnection& c) { c.Close(); });
  });
}

// Closing a socket with unread bytes makes the kernel send RST, which can
// destroy the error answer before the client reads it (a client still sending
// a body over the limit). So stop writing, and drop what the client still
// sends until it closes, for kLingerTime at most.
void HttpConnection::Linger() {
  phase_ = Phase::kClosing;
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return Close();
  buffer_.clear();
  Arm(kLingerTime);
  struct Drain {
    std::shared_ptr<HttpConnection> self;
    void operator()(const error_code& ec, size_t) {
      self->buffer_.clear();
      if (ec || self->closed_) return self->Close();
      self->socket_.async_read_some(self->buffer_.prepare(4096), Drain{self});
    }
  };
  Drain{shared_from_this()}({}, 0);
}

void HttpConnection::Close() {
  if (closed_) return;
  closed_ = true;
  Disarm();
  error_code ec;
  if (socket_.is_open()) {
    socket_.close(ec);
  } else {
    ::close(fd_);
  }
  if (registered_) server_.Unregister(this);
}

}  // namespace internal

namespace internal {

bool HttpTransport::BeginWaitForNext() {
  int n = waiting_for_next_.load(std::memory_order_relaxed);
  do {
    if (n + 1 >= options_.threads) return false;
  } while (!waiting_for_next_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
  return true;
}

void HttpTransport::Register(HttpConnection* c) {
  connections_.insert(c);
  open_.fetch_add(1);
}

void HttpTransport::Unregister(HttpConnection* c) {
  connections_.erase(c);
  std::lock_guard<std::mutex> lock(mu_);
  open_.fetch_sub(1);
  done_cv_.notify_all();
}

bool HttpTransport::Submit(std::shared_ptr<HttpConnection> c) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(c));
    queued_.store(static_cast<int64_t>(queue_.size()), std::memory_order_relaxed);
  }
  work_cv_.notify_one();
  return true;
}

void HttpTransport::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return !queue_.empty() || pool_closing_; });
    if (queue_.empty()) return;
    std::shared_ptr<HttpConnection> c = std::move(queue_.front());
    queue_.pop_front();
    queued_.store(static_cast<int64_t>(queue_.size()), std::memory_order_relaxed);
    lock.unlock();
    c->RunHandler();
    c.reset();
    lock.lock();
  }
}

void HttpTransport::RunStream(std::function<void()> stream) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    streams_.fetch_add(1);
  }
  std::thread([this, stream = std::move(stream)]() mutable {
    stream();
    stream = nullptr;  // its connection goes with it
    std::lock_guard<std::mutex> lock(mu_);
    streams_.fetch_sub(1);
    done_cv_.notify_all();  // under mu_: Shutdown cannot return before this thread lets go of it
  }).detach();
}

void HttpTransport::Start() {
  if (started_ || shut_down_) return;
  started_ = true;
  fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  error_code ec;
  protocol_ = addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4();
  acceptor_.assign(protocol_, listen_fd_, ec);
  guard_.emplace(ioc_.get_executor());
  workers_.reserve(static_cast<size_t>(options_.threads));
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  net::post(ioc_, [this] { WaitForConnections(); });
  io_thread_ = std::thread([this] { ioc_.run(); });
  if (options_.reuse_port) internal::SteerNewConnectionsHere(listen_fd_);
}

void HttpTransport::WaitForConnections() {
  acceptor_.async_wait(tcp::acceptor::wait_read, [this](const error_code& ec) {
    if (ec || listen_fd_ < 0) return;
    AcceptReady();
  });
}

// Accepts every connection the backlog holds.
void HttpTransport::AcceptReady() {
  for (;;) {
    std::string remote;
    const int fd = internal::Accept(listen_fd_, remote);
    if (fd >= 0) {
      Admit(fd, std::move(remote), stopping_.load());
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      // Out of descriptors or memory: wait for connections to end, not spin.
      accept_retry_.expires_after(kAcceptRetry);
      accept_retry_.async_wait([this](const error_code& ec) {
        if (!ec && listen_fd_ >= 0) AcceptReady();
      });
      return;
    }
    break;  // EAGAIN: the backlog is empty
  }
  if (listen_fd_ >= 0) WaitForConnections();
}

void HttpTransport::Admit(int fd, std::string remote, bool while_stopping) {
  tcp::socket socket(ioc_);
  error_code ec;
  socket.assign(protocol_, fd, ec);
  if (ec) {
    close(fd);
    return;
  }
  auto c = std::make_shared<HttpConnection>(*this, std::move(socket), std::move(remote), while_stopping);
  if (open_.load() >= options_.max_connections) {
    rejected_connections_.fetch_add(1, std::memory_order_relaxed);
    c->Reject();
    return;
  }
  c->Start();
}

void HttpTransport::RunOnLoop(const std::function<void()>& fn) {
  std::promise<void> done;
  net::post(ioc_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void HttpTransport::CloseAll(bool only_idle) {
  std::vector<HttpConnection*> all(connections_.begin(), connections_.end());
  for (HttpConnection* c : all) {
    if (only_idle) {
      c->OnShutdown();
    } else {
      c->Cut();
    }
  }
}

// Closing a listener resets the connections in its backlog (the kernel has
// completed their handshakes: their clients think they are connected), so
// they are taken first and served like any other.
void HttpTransport::BeginShutdown() {
  std::string remote;
  for (int fd; (fd = internal::Accept(listen_fd_, remote)) >= 0;) {
    Admit(fd, std::move(remote), /*while_stopping=*/true);
  }
  error_code ec;
  accept_retry_.cancel();
  acceptor_.close(ec);  // closes listen_fd_
  listen_fd_ = -1;
  CloseAll(/*only_idle=*/true);
}

bool HttpTransport::Shutdown(int64_t grace_ns) {
  if (shut_down_) return true;
  shut_down_ = true;
  stopping_.store(true);
  if (!started_) return true;
  RunOnLoop([this] { BeginShutdown(); });
  bool drained = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    drained = done_cv_.wait_for(lock, std::chrono::nanoseconds(std::max<int64_t>(grace_ns, 0)),
                                [&] { return open_.load() == 0 && streams_.load() == 0; });
  }
  if (!drained) {
    // Past the grace period: queued requests are dropped, the reads and
    // writes still waiting end; handlers and streams still running are
    // waited for (they hold the connection's memory).
    cut_.store(true);
    RunOnLoop([this] { CloseAll(/*only_idle=*/false); });
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    pool_closing_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  {
    std::unique_lock<std::mutex> lock(mu_);
    done_cv_.wait(lock, [&] { return streams_.load() == 0; });
  }
  // The workers' last answers have been posted to the loop; after them,
  // whatever is still open closes.
  RunOnLoop([this] { CloseAll(/*only_idle=*/false); });
  guard_.reset();
  ioc_.stop();
  io_thread_.join();
  return drained;
}

HttpServerStats HttpTransport::Stats() const {
  HttpServerStats s;
  s.open_connections = open_.load(std::memory_order_relaxed);
  s.queued_requests = queued_.load(std::memory_order_relaxed);
  s.busy_workers = busy_.load(std::memory_order_relaxed);
  s.workers = options_.threads;
  s.streams = streams_.load(std::memory_order_relaxed);
  s.requests_total = requests_.load(std::memory_order_relaxed);
  s.rejected_connections_total = rejected_connections_.load(std::memory_order_relaxed);
  s.rejected_requests_total = rejected_requests_.load(std::memory_order_relaxed);
  s.request_timeouts_total = timeouts_.load(std::memory_order_relaxed);
  s.max_connections = options_.max_connections;
  s.max_queued_requests = static_cast<int64_t>(max_queued_);
  return s;
}

}  // namespace internal

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
