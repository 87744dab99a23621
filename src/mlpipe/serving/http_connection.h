// HttpConnection: one client connection of the transport, as a state
// machine (idle, reading, handling, writing, closing) over a Boost.Asio
// socket on the transport's loop (http_transport.h), with Beast's parser
// and serializer. Internal to the transport.
//
// Ownership: a connection's state is the loop thread's, except while its
// request is with a worker (kHandling): then the worker alone touches it,
// and the loop never closes its socket (so that the descriptor number is not
// reused under the worker), it only shutdown(2)s it past the grace period.
#pragma once

// Beast's string_view is std::string_view in every file of the transport
// (the choice must not disagree between translation units).
#ifndef BOOST_BEAST_USE_STD_STRING_VIEW
#define BOOST_BEAST_USE_STD_STRING_VIEW 1
#endif

#include <sys/socket.h>
#include <sys/types.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "mlpipe/serving/http_server.h"

namespace mlpipe::serving::internal {

class HttpTransport;

// One connection's state machine. Loop thread: Start, Reject, the waits and
// reads, OnShutdown, Cut, Close. Worker: RunHandler.
class HttpConnection : public std::enable_shared_from_this<HttpConnection> {
 public:
  // `socket` runs on server.ioc(); `remote` is the client's numeric address.
  HttpConnection(HttpTransport& server, boost::asio::ip::tcp::socket socket, std::string remote,
                 bool accepted_while_stopping);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Serves requests until the client closes, a deadline, an error, or
  // Connection: close.
  void Start();
  // Answers 503 (max_connections reached) and closes.
  void Reject();
  // Shutdown began: an idle connection with no request on the way closes.
  void OnShutdown() {
    if (phase_ != Phase::kIdle || accepted_while_stopping_) return;
    boost::system::error_code ec;
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
  Next ReadNextRequestHere(boost::system::error_code& ec);
  ssize_t ReceiveWaiting(boost::asio::mutable_buffer b);
  void ContinueReading();
  // While a worker has the connection, its descriptor is out of the loop's
  // epoll set, so the next request wakes the worker alone (not the loop
  // too). Loop thread; Attach undoes Detach.
  void Detach() {
    boost::system::error_code ec;
    socket_.release(ec);
  }
  void Attach();
  // From a worker or a stream thread: hands the connection back to the loop,
  // which runs `f` on it.
  template <class F>
  void PostToLoop(F f);
  enum class Phase { kIdle, kReading, kHandling, kWriting, kClosing };

  void WaitForRequest();
  void ReadRequest();
  void OnHeader(const boost::system::error_code& ec);
  void ReadBody();
  void OnRequest(const boost::system::error_code& ec);
  void Fail(const boost::system::error_code& ec);
  // Prepares the answer and sends what the socket takes now; then OnSent.
  void Respond(HttpResponse& res, unsigned version, bool keep_alive, bool head);
  void Prepare(HttpResponse& res, unsigned version, bool keep_alive, bool head);
  bool SendNow(boost::system::error_code& ec);
  void OnSent(const boost::system::error_code& ec, bool done);  // loop
  void AfterWrite(const boost::system::error_code& ec);         // loop
  void StartStream(HttpResponse res, unsigned version);
  void Linger();
  void Close();
  // The connection's one deadline: past it, the pending operation is
  // cancelled and its handler sees timed_out_.
  void Arm(std::chrono::steady_clock::duration d);
  void Disarm();

  HttpTransport& server_;
  boost::asio::ip::tcp::socket socket_;
  const int fd_;              // socket_'s descriptor, also while detached
  const std::string remote_;  // the client's numeric address (HttpRequest::remote)
  boost::asio::steady_timer timer_;
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
  boost::beast::flat_buffer buffer_;  // what was read and not yet parsed (a pipelined request)
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::optional<boost::beast::http::response<boost::beast::http::string_body>> response_;
  std::optional<boost::beast::http::response_serializer<boost::beast::http::string_body>> serializer_;
};

}  // namespace mlpipe::serving::internal
