// Beast's synchronous stream concepts over a connected non-blocking socket,
// for a worker that reads or writes a connection outside the event loop:
// each call does what the socket allows now, never waits, and says
// net::error::would_block when nothing can be done (then the loop takes
// over). Internal to the transport (http_connection.cc).
#pragma once

// Beast's string_view is std::string_view in every file of the transport
// (the choice must not disagree between translation units).
#ifndef BOOST_BEAST_USE_STD_STRING_VIEW
#define BOOST_BEAST_USE_STD_STRING_VIEW 1
#endif

#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <cerrno>
#include <cstddef>

namespace mlpipe::serving::internal {

// Buffers handed to one sendmsg; Beast's header and body are a few.
inline constexpr int kNowWriterMaxIov = 64;

using error_code = boost::system::error_code;
namespace net = boost::asio;

// A failed call on a non-blocking socket as Beast sees it: nothing to do
// now is net::error::would_block, anything else the system error.
inline error_code NonBlockingError(int err) {
  return err == EAGAIN || err == EWOULDBLOCK ? error_code(net::error::would_block)
                                             : error_code(err, boost::system::system_category());
}

// The throwing forms of the calls below, which Beast's stream concepts also ask for.
inline size_t NowOrThrow(size_t n, const error_code& ec) {
  if (ec) throw boost::system::system_error(ec);
  return n;
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
    iovec iov[kNowWriterMaxIov];
    int n = 0;
    for (auto it = net::buffer_sequence_begin(buffers);
         it != net::buffer_sequence_end(buffers) && n < kNowWriterMaxIov; ++it) {
      net::const_buffer b = *it;
      if (b.size() == 0) continue;
      iov[n].iov_base = const_cast<void*>(b.data());
      iov[n].iov_len = b.size();
      ++n;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(n);
    // MSG_NOSIGNAL: a client that went away is EPIPE here, not SIGPIPE for the process.
    const ssize_t sent = TEMP_FAILURE_RETRY(sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT));
    ec = sent < 0 ? NonBlockingError(errno) : error_code();
    return sent < 0 ? 0 : static_cast<size_t>(sent);
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers) {
    error_code ec;
    return NowOrThrow(write_some(buffers, ec), ec);
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
      const ssize_t n = TEMP_FAILURE_RETRY(recv(fd_, b.data(), b.size(), MSG_DONTWAIT));
      ec = n < 0 ? NonBlockingError(errno) : n == 0 ? error_code(net::error::eof) : error_code();
      return n < 0 ? 0 : static_cast<size_t>(n);
    }
    ec = {};
    return 0;
  }
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    error_code ec;
    return NowOrThrow(read_some(buffers, ec), ec);
  }

 private:
  int fd_;
};

}  // namespace mlpipe::serving::internal
