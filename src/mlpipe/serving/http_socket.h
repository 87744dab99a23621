// The OS side of HttpServer's sockets, without Boost: the listening socket
// (SO_REUSEPORT and the hand-over steering), accepting with the peer's
// address, sending with a timeout, the process's descriptor limit, and
// request targets (percent-decoding, absolute form).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "mlpipe/base/status.h"

namespace mlpipe::serving::internal {

// A listening socket on host:port: the first address getaddrinfo offers
// that binds. Unavailable (with the address and the reason) otherwise.
StatusOr<int> Listen(const std::string& host, int port, bool reuse_port);

// The port a socket is bound to; -1 on error.
int BoundPort(int fd);

// With SO_REUSEPORT the kernel spreads new connections over the listeners of
// a port. Makes the group send every new connection to the newest listener
// (http_socket.cc says how).
void SteerNewConnectionsHere(int listen_fd);

// accept4 with SOCK_CLOEXEC (a model's command worker must not inherit a
// client's socket) and SOCK_NONBLOCK: the new descriptor, and in `remote` the
// peer's numeric address ("127.0.0.1", "::1"; "" if unknown), read from what
// accept4 returns, so that no request pays a getpeername. -1 and errno when
// nothing was accepted.
int Accept(int listen_fd, std::string& remote);

// Sends all of `bytes` on a non-blocking socket, waiting up to timeout_ms
// each time it takes nothing. False when the client is gone or too slow.
bool SendAllWaiting(int fd, std::string_view bytes, int timeout_ms);

// Raises the soft RLIMIT_NOFILE to the hard limit (once per process: every
// open connection is a descriptor) and returns the soft limit now in force.
uint64_t RaiseFileLimit();

// "/a%3Ab?x=1" -> "/a:b": the path of an origin-form target, %XX decoded
// ('+' is kept).
std::string DecodedPath(std::string_view target);

// An absolute-form target (RFC 9112 3.2.2, "http://host:port/p?q") as
// origin form ("/p?q"; "/" when the URI has no path); any other target as is.
std::string OriginForm(std::string_view target);

bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace mlpipe::serving::internal
