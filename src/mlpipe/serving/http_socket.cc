#include "mlpipe/serving/http_socket.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/filter.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "mlpipe/base/strings.h"

namespace mlpipe::serving::internal {

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

int BoundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return -1;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
}

// A server that starts beside a running one (a hand-over) takes every new
// connection from now on, so the old one's backlog stops filling and it can
// close its listener without resetting anyone: the group's program (one for
// the whole group, replaced by each new server) answers index 1, the second
// listener, which is the newer of two. With one listener, index 1 is out of
// range and the kernel falls back to its hash, i.e. to that one; when the
// old one closes, the newer takes its index 0 and is alone again.
void SteerNewConnectionsHere(int listen_fd) {
  sock_filter code[] = {{BPF_RET | BPF_K, 0, 0, 1}};
  sock_fprog program{1, code};
  setsockopt(listen_fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &program, sizeof program);
}

int Accept(int listen_fd, std::string& remote) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  const int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return fd;
  char host[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, host, sizeof host);
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, host, sizeof host);
  }
  remote = host;
  return fd;
}

// Sends all of `bytes` on a non-blocking socket, waiting up to timeout_ms
// each time it takes nothing. False when the client is gone or too slow.
bool SendAllWaiting(int fd, std::string_view bytes, int timeout_ms) {
  while (!bytes.empty()) {
    const ssize_t n = TEMP_FAILURE_RETRY(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT));
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    // A signal that interrupts the wait is not a slow client.
    pollfd ready{fd, POLLOUT, 0};
    if (TEMP_FAILURE_RETRY(poll(&ready, 1, timeout_ms)) <= 0 || (ready.revents & (POLLERR | POLLHUP)) != 0)
      return false;
  }
  return true;
}

uint64_t RaiseFileLimit() {
  static std::once_flag once;
  std::call_once(once, [] {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      setrlimit(RLIMIT_NOFILE, &lim);
    }
  });
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  return lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(lim.rlim_cur);
}

std::string DecodedPath(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (path.find('%') == std::string_view::npos) return std::string(path);
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    const int hi = path[i] == '%' && i + 2 < path.size() ? HexDigitValue(path[i + 1]) : -1;
    const int lo = hi >= 0 ? HexDigitValue(path[i + 2]) : -1;
    if (lo >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += path[i];
    }
  }
  return out;
}

std::string OriginForm(std::string_view target) {
  if (target.empty() || target[0] == '/') return std::string(target);
  const size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return std::string(target);
  const std::string_view scheme = target.substr(0, scheme_end);
  if (!EqualsIgnoreCase(scheme, "http") && !EqualsIgnoreCase(scheme, "https")) return std::string(target);
  const std::string_view rest = target.substr(scheme_end + 3);
  const size_t path_start = rest.find_first_of("/?");
  if (path_start == std::string_view::npos) return "/";
  if (rest[path_start] == '?') return fmt::format("/{}", rest.substr(path_start));
  return std::string(rest.substr(path_start));
}

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

}  // namespace mlpipe::serving::internal
