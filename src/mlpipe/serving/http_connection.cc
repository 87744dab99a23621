#include "mlpipe/serving/http_connection.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <climits>
#include <exception>
#include <utility>

#include "mlpipe/serving/http_now_stream.h"
#include "mlpipe/serving/http_socket.h"
#include "mlpipe/serving/http_status.h"
#include "mlpipe/serving/http_transport.h"

namespace mlpipe::serving::internal {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using boost::system::error_code;
using net::ip::tcp;

namespace {

// After an error answer, unread request bytes are drained this long at most.
constexpr auto kLingerTime = std::chrono::seconds(2);
// How long a connection taken from the backlog at shutdown waits for its
// first request: on a network, the request follows the handshake's last
// ACK at once (or travels with it).
constexpr auto kFirstRequestWhileStopping = std::chrono::milliseconds(500);
// How long a worker with nothing else to do waits for the next request on
// the connection it has just answered (ReadNextRequestHere): the socket's
// SO_RCVTIMEO, which the kernel rounds up to its timer tick (4 to 16 ms
// measured on the 2-core VM, 2026-12-07).
constexpr int kNextRequestWaitUs = 1000;
// The first recv of a request a worker waits for asks for this much.
constexpr size_t kFirstRead = 4096;
// Read buffer capacity an idle connection keeps.
constexpr size_t kKeptBuffer = 16 << 10;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

HttpRequest MakeRequest(Request& msg, bool head) {
  HttpRequest req;
  req.method = head ? std::string("GET") : std::string(msg.method_string());
  req.target = OriginForm(msg.target());
  req.path = DecodedPath(req.target);
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

HttpConnection::HttpConnection(HttpTransport& server, tcp::socket socket, std::string remote,
                               bool accepted_while_stopping)
    : server_(server),
      socket_(std::move(socket)),
      fd_(socket_.native_handle()),
      remote_(std::move(remote)),
      timer_(server.ioc()),
      accepted_while_stopping_(accepted_while_stopping) {}

HttpConnection::~HttpConnection() {
  if (!closed_ && !socket_.is_open()) ::close(fd_);  // detached and never handed back
}

void HttpConnection::Start() {
  registered_ = true;
  server_.Register(this);
  error_code ec;
  // Answers are small and complete: send them now, not after the
  // client's delayed ACK (Nagle).
  socket_.set_option(tcp::no_delay(true), ec);
  WaitForRequest();
}

void HttpConnection::Reject() {
  HttpResponse res = ErrorResponse(503, "too many open connections; retry later");
  res.headers.emplace_back("Retry-After", "1");
  linger_ = true;
  Respond(res, 11, /*keep_alive=*/false, /*head=*/false);
}

void HttpConnection::Attach() {
  if (socket_.is_open()) return;
  blocking_ = false;  // Asio makes it non-blocking again at its first wait or read
  error_code ec;
  socket_.assign(server_.protocol(), fd_, ec);
}

template <class F>
void HttpConnection::PostToLoop(F f) {
  net::post(server_.ioc(), [self = shared_from_this(), f] {
    self->Attach();
    f(*self);
  });
}

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
  if (!server_.pool().Submit(shared_from_this())) {
    Attach();
    phase_ = Phase::kWriting;
    server_.CountRejectedRequest();
    HttpResponse res =
        ErrorResponse(503, fmt::format("server busy: {} requests are waiting for a worker; retry later",
                                       server_.pool().max_queued()));
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
// other request waits for a worker and another worker is idle, there for
// the queue (HttpWorkerPool::MayWaitForNext). The wait is one blocking recv with
// SO_RCVTIMEO, not poll() then recv: a request costs the worker two system
// calls (this recv, the answer's sendmsg). What is not there whole at once
// goes back to the loop, which reads the rest under the request deadline.
HttpConnection::Next HttpConnection::ReadNextRequestHere(error_code& ec) {
  if (server_.stopping() || server_.pool().queued() > 0) return Next::kNone;
  const int fd = fd_;
  if (buffer_.size() == 0) {
    if (!server_.pool().MayWaitForNext()) return Next::kNone;
    const ssize_t n = ReceiveWaiting(buffer_.prepare(kFirstRead));
    const int err = errno;
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

}  // namespace mlpipe::serving::internal
