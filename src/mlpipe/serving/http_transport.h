// HttpTransport: HttpServer's machinery (http_server.h says what it does).
// This file is the event loop and the acceptor: one I/O thread runs a
// Boost.Asio io_context that owns every socket (accept, wait, read with
// Beast's parser, deadlines); complete requests go to the worker pool
// (http_worker_pool.h); each connection is an HttpConnection
// (http_connection.h). One I/O thread: parsing costs a few microseconds a
// request, far less than a handler, and one loop thread needs no strands;
// the workers write the answers themselves and read a keep-alive client's
// next request themselves, so the loop's share of a request stays small.
// Also Shutdown and the counters behind Stats(). Internal to the transport.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>

#include "mlpipe/serving/http_server.h"
#include "mlpipe/serving/http_worker_pool.h"

namespace mlpipe::serving::internal {

class HttpConnection;

// What the connections share: options, handler, loop, pool, counters.
class HttpTransport {
 public:
  HttpTransport(HttpServerOptions options, HttpHandler handler, int listen_fd, int port)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        port_(port),
        listen_fd_(listen_fd),
        acceptor_(ioc_),
        accept_retry_(ioc_),
        pool_(options_.threads, options_.max_queued_requests > 0
                                    ? static_cast<size_t>(options_.max_queued_requests)
                                    : static_cast<size_t>(options_.threads) * 4) {}
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  void Start();
  bool Shutdown(int64_t grace_ns);
  HttpServerStats Stats() const;
  int port() const { return port_; }

  // For the connections.
  const HttpServerOptions& options() const { return options_; }
  const HttpHandler& handler() const { return handler_; }
  boost::asio::io_context& ioc() { return ioc_; }
  bool stopping() const { return stopping_.load(); }
  bool cut() const { return cut_.load(); }
  HttpWorkerPool& pool() { return pool_; }
  void Register(HttpConnection* c);    // loop thread
  void Unregister(HttpConnection* c);  // loop thread
  // Runs `stream` on a thread of its own, counted in Stats().streams.
  void RunStream(std::function<void()> stream);
  void CountRequest() { requests_.fetch_add(1, std::memory_order_relaxed); }
  void CountTimeout() { timeouts_.fetch_add(1, std::memory_order_relaxed); }
  void CountRejectedRequest() { rejected_requests_.fetch_add(1, std::memory_order_relaxed); }
  void Busy(int delta) { busy_.fetch_add(delta, std::memory_order_relaxed); }
  boost::asio::ip::tcp protocol() const { return protocol_; }

 private:
  void WaitForConnections();
  void AcceptReady();
  void Admit(int fd, std::string remote, bool while_stopping);
  void RunOnLoop(const std::function<void()>& fn);
  void BeginShutdown();  // loop thread
  void CloseAll(bool only_idle);

  const HttpServerOptions options_;
  const HttpHandler handler_;
  const int port_;
  int listen_fd_;  // -1 once closed

  boost::asio::io_context ioc_{1};
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  boost::asio::ip::tcp::acceptor acceptor_;  // waits on listen_fd_ (accept4 itself is ours: SOCK_CLOEXEC)
  boost::asio::ip::tcp protocol_ = boost::asio::ip::tcp::v4();
  boost::asio::steady_timer accept_retry_;
  // After ioc_: the connections it may hold need the loop's io_context.
  HttpWorkerPool pool_;
  std::unordered_set<HttpConnection*> connections_;  // registered ones; loop thread only
  std::thread io_thread_;

  std::atomic<bool> stopping_{false};  // set once by Shutdown
  std::atomic<bool> cut_{false};       // past the grace period: queued requests are dropped
  std::atomic<int64_t> open_{0}, busy_{0}, streams_{0};
  std::atomic<int64_t> requests_{0}, rejected_connections_{0}, rejected_requests_{0}, timeouts_{0};

  std::mutex mu_;
  std::condition_variable done_cv_;  // a connection closed, a stream ended
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace mlpipe::serving::internal
