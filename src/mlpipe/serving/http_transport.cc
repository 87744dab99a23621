#include "mlpipe/serving/http_transport.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <chrono>
#include <future>
#include <utility>
#include <vector>

#include "mlpipe/serving/http_connection.h"
#include "mlpipe/serving/http_socket.h"

namespace mlpipe::serving::internal {

namespace net = boost::asio;
using boost::system::error_code;
using net::ip::tcp;

namespace {
// Out of descriptors: the next accept is tried after this long.
constexpr auto kTransportAcceptRetry = std::chrono::milliseconds(10);
}  // namespace

HttpTransport::~HttpTransport() {
  if (listen_fd_ >= 0) close(listen_fd_);
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
  pool_.Start();
  net::post(ioc_, [this] { WaitForConnections(); });
  io_thread_ = std::thread([this] { ioc_.run(); });
  if (options_.reuse_port) SteerNewConnectionsHere(listen_fd_);
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
    const int fd = Accept(listen_fd_, remote);
    if (fd >= 0) {
      Admit(fd, std::move(remote), stopping_.load());
      continue;
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      // Out of descriptors or memory: wait for connections to end, not spin.
      accept_retry_.expires_after(kTransportAcceptRetry);
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
  for (int fd; (fd = Accept(listen_fd_, remote)) >= 0;) {
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
  pool_.Close();
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
  s.queued_requests = pool_.queued();
  s.busy_workers = busy_.load(std::memory_order_relaxed);
  s.workers = options_.threads;
  s.streams = streams_.load(std::memory_order_relaxed);
  s.requests_total = requests_.load(std::memory_order_relaxed);
  s.rejected_connections_total = rejected_connections_.load(std::memory_order_relaxed);
  s.rejected_requests_total = rejected_requests_.load(std::memory_order_relaxed);
  s.request_timeouts_total = timeouts_.load(std::memory_order_relaxed);
  s.max_connections = options_.max_connections;
  s.max_queued_requests = static_cast<int64_t>(pool_.max_queued());
  return s;
}

}  // namespace mlpipe::serving::internal
