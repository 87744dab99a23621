// HttpServer (http_server.h): the listening socket, the worker pool and
// shutdown; then one connection's request loop, Beast's parser and
// serializer over a plain blocking socket.
//
// Beast's string_view is std::string_view here (one translation unit uses
// Beast, so the choice cannot disagree with another).
#define BOOST_BEAST_USE_STD_STRING_VIEW 1

#include "mlpipe/serving/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <linux/filter.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <exception>
#include <utility>

#include "mlpipe/serving/http_status.h"

namespace mlpipe::serving {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using boost::system::error_code;

namespace {

// The first recv of a request asks for this much, so that a small request
// (headers and body) arrives in one call. The buffer is kept per connection.
constexpr size_t kFirstRead = 16 << 10;
// Buffers handed to one sendmsg; Beast's header and body are a few.
constexpr int kMaxIov = 64;
// After an error answer, unread request bytes are drained this long at most.
constexpr auto kLingerTime = std::chrono::seconds(2);
// How long a connection taken from the backlog at shutdown waits for its
// first request: on a network, the request follows the handshake's last
// ACK at once (or travels with it).
constexpr int kFirstRequestWhileStoppingMs = 500;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "/a%3Ab?x=1" -> "/a:b" (%XX decoded; '+' kept, as cpp-httplib did for paths).
std::string DecodedPath(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path.find('%') == std::string_view::npos) return std::string(path);
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    const int hi = path[i] == '%' && i + 2 < path.size() ? HexValue(path[i + 1]) : -1;
    const int lo = hi >= 0 ? HexValue(path[i + 2]) : -1;
    if (lo >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += path[i];
    }
  }
  return out;
}

Status Validate(const HttpServerOptions& o) {
  if (o.threads < 1 || o.threads > 1024) return InvalidArgumentError("http: threads must be 1..1024");
  if (o.port < 0 || o.port > 65535) return InvalidArgumentError("http: port must be 0..65535");
  if (o.read_timeout_s < 1 || o.write_timeout_s < 1 || o.keep_alive_timeout_s < 1) {
    return InvalidArgumentError("http: timeouts must be at least 1 s");
  }
  if (o.max_header_bytes < 1024) return InvalidArgumentError("http: max_header_bytes must be at least 1 KiB");
  return OkStatus();
}

// A listening socket on host:port: the first address getaddrinfo offers
// that binds.
StatusOr<int> Listen(const std::string& host, int port, bool reuse_port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list); rc != 0) {
    return UnavailableError(fmt::format("cannot listen on {}:{}: {}", host, port, gai_strerror(rc)));
  }
  int fd = -1;
  int err = 0;
  for (addrinfo* a = list; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // a restart rebinds despite TIME_WAIT
    if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      err = errno;
      close(fd);
      fd = -1;
      continue;
    }
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
      err = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(list);
  if (fd < 0) {
    return UnavailableError(fmt::format("cannot listen on {}:{}: {}", host, port, std::strerror(err)));
  }
  return fd;
}

// With SO_REUSEPORT the kernel spreads new connections over the listeners of
// a port. A server that starts beside a running one (a hand-over) takes them
// all from now on, so the old one's backlog stops filling and it can close
// its listener without resetting anyone: the group's program (one for the
// whole group, replaced by each new server) answers index 1, the second
// listener, which is the newer of two. With one listener, index 1 is out of
// range and the kernel falls back to its hash, i.e. to that one; when the
// old one closes, the newer takes its index 0 and is alone again.
void SteerNewConnectionsHere(int listen_fd) {
  sock_filter code[] = {{BPF_RET | BPF_K, 0, 0, 1}};
  sock_fprog program{1, code};
  setsockopt(listen_fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program);
}

int BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
}

void SetSocketTimeout(int fd, int option, int seconds) {
  timeval tv{};
  tv.tv_sec = seconds;
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

// EAGAIN from a blocking socket means its SO_RCVTIMEO / SO_SNDTIMEO expired.
error_code SocketError(int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) return beast::error::timeout;
  return {err, boost::system::system_category()};
}

// A connected blocking socket as Beast's SyncReadStream and SyncWriteStream.
// Not Asio's socket: its blocking calls poll() when recv says EAGAIN, which
// is how SO_RCVTIMEO expires, so the timeout would never end the wait.
class SocketStream {
 public:
  SocketStream(int fd, int keep_alive_timeout_s, int read_timeout_s)
      : fd_(fd), keep_alive_timeout_s_(keep_alive_timeout_s), read_timeout_s_(read_timeout_s) {}

  // Waits for the first bytes of a request with the keep-alive timeout; with
  // MSG_DONTWAIT, takes only bytes already there.
  size_t ReadIdle(net::mutable_buffer b, int flags, error_code& ec) {
    UseReceiveTimeout(keep_alive_timeout_s_);
    return Recv(b, flags, ec);
  }

  // Beast reads through this only in the middle of a request, hence the read
  // timeout. One recv into the first non-empty buffer.
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, error_code& ec) {
    UseReceiveTimeout(read_timeout_s_);
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
      net::mutable_buffer b = *it;
      if (b.size() > 0) return Recv(b, 0, ec);
    }
    ec = {};
    return 0;
  }
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    error_code ec;
    const size_t n = read_some(buffers, ec);
    return OrThrow(n, ec);
  }

  // One sendmsg of the whole buffer sequence: the status line, the fields
  // and the body leave in one call.
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
      const ssize_t sent = sendmsg(fd_, &msg, MSG_NOSIGNAL);
      if (sent >= 0) {
        ec = {};
        return static_cast<size_t>(sent);
      }
      if (errno != EINTR) {
        ec = SocketError(errno);
        return 0;
      }
    }
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers) {
    error_code ec;
    const size_t n = write_some(buffers, ec);
    return OrThrow(n, ec);
  }

 private:
  // The throwing forms Beast's stream concepts also ask for.
  static size_t OrThrow(size_t n, const error_code& ec) {
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  // setsockopt only when the wanted timeout differs from the socket's: with
  // equal keep-alive and read timeouts (the default) never after the first,
  // and otherwise only for a request that needs more than one recv.
  void UseReceiveTimeout(int seconds) {
    if (seconds == receive_timeout_s_) return;
    SetSocketTimeout(fd_, SO_RCVTIMEO, seconds);
    receive_timeout_s_ = seconds;
  }

  size_t Recv(net::mutable_buffer b, int flags, error_code& ec) {
    for (;;) {
      const ssize_t n = recv(fd_, b.data(), b.size(), flags);
      if (n > 0) {
        ec = {};
        return static_cast<size_t>(n);
      }
      if (n == 0) {
        ec = net::error::eof;
        return 0;
      }
      if (errno != EINTR) {
        ec = SocketError(errno);
        return 0;
      }
    }
  }

  int fd_;
  int keep_alive_timeout_s_;
  int read_timeout_s_;
  int receive_timeout_s_ = 0;  // what SO_RCVTIMEO is set to (0: never set, no timeout)
};

using Request = http::request<http::string_body>;

// The peer's numeric address, "" if unknown.
std::string PeerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char host[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, host, sizeof host);
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, host, sizeof host);
  }
  return host;
}

HttpRequest MakeRequest(Request& msg, bool head) {
  HttpRequest req;
  req.method = head ? std::string("GET") : std::string(msg.method_string());
  req.target = std::string(msg.target());
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

// One connection's request loop; runs on a worker thread.
class Connection {
 public:
  Connection(int fd, const HttpServerOptions& options, const HttpHandler& handler, std::atomic<bool>& idle,
             const std::atomic<bool>& stopping)
      : fd_(fd),
        options_(options),
        handler_(handler),
        idle_(idle),
        stopping_(stopping),
        stream_(fd, options.keep_alive_timeout_s, options.read_timeout_s) {}

  // Serves requests until the client closes, a timeout, an error, or
  // Connection: close.
  void Run() {
    while (WaitForRequest() && ServeRequest()) {
    }
    if (linger_) LingerBeforeClose();
  }

 private:
  bool WaitForRequest();
  bool ServeRequest();
  bool Fail(const error_code& ec);
  bool Answer(Request& msg);
  bool Write(HttpResponse& res, unsigned version, bool keep_alive, bool head);
  bool WriteStream(HttpResponse& res, unsigned version);
  bool SendAll(std::string_view bytes);
  void WriteError(int status, const std::string& message);
  void LingerBeforeClose();

  const int fd_;
  const HttpServerOptions& options_;
  const HttpHandler& handler_;
  std::atomic<bool>& idle_;
  const std::atomic<bool>& stopping_;
  SocketStream stream_;
  beast::flat_buffer buffer_;  // reused by every request: holds what was read and not yet parsed
  bool linger_ = false;        // closing after an error: the client may still be sending
  bool fresh_ = true;          // no request read yet
};

// Waits, with the keep-alive timeout, for the first bytes of the next
// request. False: the client closed or stayed quiet, or the server stops.
bool Connection::WaitForRequest() {
  if (buffer_.size() > 0) return true;  // a pipelined request is already here
  if (std::exchange(fresh_, false) && stopping_.load()) {
    // Taken from the listener's backlog as the server stops: the client
    // connected before the listener closed and its request may still be on
    // the way, so it gets a short wait (not marked idle: not cut meanwhile).
    pollfd ready{fd_, POLLIN, 0};
    poll(&ready, 1, kFirstRequestWhileStoppingMs);
    error_code ec;
    const size_t n = stream_.ReadIdle(buffer_.prepare(kFirstRead), MSG_DONTWAIT, ec);
    buffer_.commit(n);
    return !ec && n > 0;
  }
  // The other half of Shutdown's handshake (both seq_cst): either Shutdown
  // sees idle_ and cuts the socket, which ends the recv, or this sees
  // stopping_ and only takes a request that has already arrived.
  idle_.store(true);
  const bool stopping = stopping_.load();
  error_code ec;
  const size_t n = stream_.ReadIdle(buffer_.prepare(kFirstRead), stopping ? MSG_DONTWAIT : 0, ec);
  idle_.store(false);
  buffer_.commit(n);
  return !ec && n > 0;
}

// Reads one request, has it handled and answers. False: close.
bool Connection::ServeRequest() {
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<size_t>(options_.max_header_bytes, UINT32_MAX)));
  parser.body_limit(options_.max_body_bytes);
  error_code ec;
  http::read_header(stream_, buffer_, parser, ec);
  if (ec) return Fail(ec);
  const Request& head = parser.get();
  if (!parser.is_done() && head.version() >= 11 &&
      beast::iequals(head[http::field::expect], "100-continue")) {
    // curl and others wait for this before they send a large body.
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    stream_.write_some(net::buffer(kContinue.data(), kContinue.size()), ec);
    if (ec) return false;
  }
  http::read(stream_, buffer_, parser, ec);
  if (ec) return Fail(ec);
  return Answer(parser.get());
}

// A request that could not be read whole: answers what can be answered;
// always closes.
bool Connection::Fail(const error_code& ec) {
  if (ec == http::error::body_limit) {
    WriteError(413, "request body exceeds the size limit");
  } else if (ec == http::error::header_limit) {
    WriteError(431, "request headers exceed the size limit");
  } else if (IsParseError(ec)) {
    WriteError(400, fmt::format("bad request ({})", ec.message()));
  }
  return false;  // a timeout, a reset or EOF mid-request: nobody to answer
}

bool Connection::Answer(Request& msg) {
  const http::verb verb = msg.method();
  const bool head = verb == http::verb::head;
  HttpResponse res;
  if (verb != http::verb::get && verb != http::verb::post && !head) {
    res.status = 405;
    res.body = ErrorBody("method not allowed");
    res.headers.emplace_back("Allow", "GET, POST, HEAD");
  } else {
    HttpRequest req = MakeRequest(msg, head);
    req.remote = PeerAddress(fd_);
    try {
      handler_(req, res);
    } catch (const std::exception& e) {
      res = HttpResponse();
      res.status = 500;
      res.body = ErrorBody(fmt::format("internal error: {}", e.what()));
    }
  }
  if (res.stream) return WriteStream(res, msg.version());
  // Read after the handler: a request finishing during Shutdown says close.
  const bool keep_alive = msg.keep_alive() && !stopping_.load();
  return Write(res, msg.version(), keep_alive, head) && keep_alive;
}

bool Connection::Write(HttpResponse& res, unsigned version, bool keep_alive, bool head) {
  http::response<http::string_body> msg;
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
  error_code ec;
  http::write(stream_, msg, ec);
  return !ec;
}

bool Connection::SendAll(std::string_view bytes) {
  while (!bytes.empty()) {
    if (stopping_.load()) return false;
    error_code ec;
    const size_t n = stream_.write_some(net::buffer(bytes.data(), bytes.size()), ec);
    if (ec || n == 0) return false;
    bytes.remove_prefix(n);
  }
  return true;
}

// A streamed answer: headers now, then whatever the handler's stream writes;
// the end of the stream is the end of the connection.
bool Connection::WriteStream(HttpResponse& res, unsigned version) {
  std::string head = fmt::format("HTTP/{}.{} {} {}\r\n", version / 10, version % 10, res.status,
                                 std::string(http::obsolete_reason(static_cast<http::status>(res.status))));
  if (!res.content_type.empty()) head += fmt::format("Content-Type: {}\r\n", res.content_type);
  for (const auto& [name, value] : res.headers) head += fmt::format("{}: {}\r\n", name, value);
  head += "Connection: close\r\n\r\n";
  if (!SendAll(head)) return false;
  res.stream([this](std::string_view bytes) { return SendAll(bytes); });
  return false;
}

void Connection::WriteError(int status, const std::string& message) {
  HttpResponse res;
  res.status = status;
  res.body = ErrorBody(message);
  Write(res, 11, /*keep_alive=*/false, /*head=*/false);
  linger_ = true;
}

// Closing a socket with unread bytes makes the kernel send RST, which can
// destroy the error answer before the client reads it (a client still sending
// a body over the limit). So stop writing, and drop what the client still
// sends until it closes, for kLingerTime at most.
void Connection::LingerBeforeClose() {
  ::shutdown(fd_, SHUT_WR);
  SetSocketTimeout(fd_, SO_RCVTIMEO, 1);
  const auto deadline = std::chrono::steady_clock::now() + kLingerTime;
  char scratch[16 << 10];
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = recv(fd_, scratch, sizeof scratch, 0);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
}

}  // namespace

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (EqualsIgnoreCase(field, name)) return value;
  }
  return {};
}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Bind(HttpServerOptions options, HttpHandler handler) {
  RETURN_IF_ERROR(Validate(options));
  ASSIGN_OR_RETURN(int fd, Listen(options.host, options.port, options.reuse_port));
  const int port = BoundPort(fd);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(options), std::move(handler), fd, port));
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, int listen_fd, int port)
    : options_(std::move(options)),
      handler_(std::move(handler)),
      listen_fd_(listen_fd),
      port_(port),
      slots_(static_cast<size_t>(options_.threads)) {}

HttpServer::~HttpServer() {
  Shutdown(0);
  if (listen_fd_ >= 0) close(listen_fd_);
}

void HttpServer::Start() {
  if (started_ || shut_down_) return;
  started_ = true;
  workers_running_ = options_.threads;
  workers_.reserve(slots_.size());
  for (Slot& slot : slots_) workers_.emplace_back([this, &slot] { WorkerLoop(&slot); });
  acceptor_ = std::thread([this] { AcceptLoop(); });
  if (options_.reuse_port) SteerNewConnectionsHere(listen_fd_);
}

void HttpServer::AcceptLoop() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_.load()) return;
      // Out of descriptors or memory: wait for connections to end, not spin.
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      continue;
    }
    // Served even while stopping: the client connected before the listener closed.
    Enqueue(fd);
  }
}

void HttpServer::Enqueue(int fd) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(fd);
  }
  work_cv_.notify_one();
}

void HttpServer::WorkerLoop(Slot* slot) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return !queue_.empty() || accept_closed_; });
    if (queue_.empty()) break;  // the listener is closed and every queued connection taken
    const int fd = queue_.front();
    queue_.pop_front();
    slot->fd = fd;
    lock.unlock();
    ServeConnection(fd, slot);
    lock.lock();
    // Closed under mu_, so that CutConnections never shuts down a descriptor
    // number the kernel has already given to someone else.
    close(fd);
    slot->fd = -1;
  }
  --workers_running_;
  done_cv_.notify_all();
}

void HttpServer::ServeConnection(int fd, Slot* slot) {
  const int one = 1;
  // Answers are small and complete: send them now, not after the client's
  // delayed ACK (Nagle).
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  SetSocketTimeout(fd, SO_SNDTIMEO, options_.write_timeout_s);
  Connection(fd, options_, handler_, slot->idle, stopping_).Run();
  slot->idle.store(false);
}

void HttpServer::CutConnections(bool idle_only) {
  std::lock_guard<std::mutex> lock(mu_);
  for (Slot& slot : slots_) {
    if (slot.fd >= 0 && (!idle_only || slot.idle.load())) ::shutdown(slot.fd, SHUT_RDWR);
  }
  if (idle_only) return;
  for (int fd : queue_) close(fd);
  queue_.clear();
}

bool HttpServer::Shutdown(int64_t grace_ns) {
  if (shut_down_) return true;
  shut_down_ = true;
  stopping_.store(true);
  if (!started_) return true;
  // Closing a listener resets the connections in its backlog (the kernel has
  // completed their handshakes: their clients think they are connected), so
  // take them first; they are served like any other.
  fcntl(listen_fd_, F_SETFL, fcntl(listen_fd_, F_GETFL) | O_NONBLOCK);
  for (int fd; (fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0;) Enqueue(fd);
  // shutdown(2) wakes the blocking accept; close alone would not.
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  listen_fd_ = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    accept_closed_ = true;
  }
  CutConnections(/*idle_only=*/true);
  work_cv_.notify_all();
  bool drained = false;
  {
    std::unique_lock<std::mutex> lock(mu_);
    drained = done_cv_.wait_for(lock, std::chrono::nanoseconds(std::max<int64_t>(grace_ns, 0)),
                                [&] { return workers_running_ == 0; });
  }
  // Past the grace period: end the reads and writes still blocked; handlers
  // still running are waited for (they hold the connection's memory).
  if (!drained) CutConnections(/*idle_only=*/false);
  for (std::thread& t : workers_) t.join();
  return drained;
}

}  // namespace mlpipe::serving
