// Fuzz target: the model server's whole request path, from bytes on a socket
// through the transport's parser and bounds to the routes and the inference
// handlers. Each input is sent as is on a new loopback connection to a real
// ModelServer (a small XGBoost classifier, started once); the client then
// half-closes and reads whatever comes back. Whatever the bytes, the server
// must not crash, and must still answer a plain health check afterwards.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "fuzz/fuzz_package.h"
#include "mlpipe/serving/model_source.h"
#include "mlpipe/serving/server.h"

namespace {

std::unique_ptr<mlpipe::serving::PackagePathSource> g_source;
std::unique_ptr<mlpipe::serving::ModelServer> g_server;

// libFuzzer's timers interrupt system calls (EINTR): the harness retries
// them (TEMP_FAILURE_RETRY), so an interrupted wait is never mistaken for a
// silent server. connect(2), finished when a signal interrupted it.
bool Connect(int fd, const sockaddr_in& addr) {
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) return true;
  if (errno != EINTR && errno != EINPROGRESS) return false;
  pollfd p{fd, POLLOUT, 0};
  if (TEMP_FAILURE_RETRY(poll(&p, 1, 10000)) <= 0) return false;
  int error = 0;
  socklen_t len = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) return false;
  errno = error;
  return error == 0;
}

// Sends `bytes` on a new connection, half-closes, and reads until the server
// closes or `wait_ms` pass without a byte. Returns what was read.
std::string Exchange(const char* bytes, size_t size, int wait_ms, std::string* why = nullptr) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(g_server->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (!Connect(fd, addr)) {
    std::fprintf(stderr, "connect to the server: %s\n", std::strerror(errno));
    std::abort();  // the server is gone
  }
  size_t sent = 0;
  while (sent < size) {
    ssize_t n = TEMP_FAILURE_RETRY(send(fd, bytes + sent, size - sent, MSG_NOSIGNAL));
    if (n <= 0) break;  // the server answered and closed early: fine
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[8192];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int ready = TEMP_FAILURE_RETRY(poll(&p, 1, wait_ms));
    if (ready <= 0) {
      if (why != nullptr) *why = ready == 0 ? "no byte within the wait" : std::strerror(errno);
      break;
    }
    ssize_t n = TEMP_FAILURE_RETRY(recv(fd, buf, sizeof buf, 0));
    if (n <= 0) {
      if (why != nullptr) *why = n == 0 ? "the server closed the connection" : std::strerror(errno);
      break;
    }
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return answer;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  g_source = std::make_unique<mlpipe::serving::PackagePathSource>();
  mlpipe::serving::ModelSpec spec;
  spec.package_path = mlpipe::fuzzing::MakeFuzzPackage("http_fuzz");
  mlpipe::serving::ServerOptions o;
  o.deployment = mlpipe::serving::DeploymentConfig::SingleVariant("m", spec);
  o.source = g_source.get();
  o.threads = 2;
  o.request_timeout_s = 1;  // a request cut short by the fuzzer is answered 408 at once, not after 10 s
  o.keep_alive_timeout_s = 1;
  o.max_body_bytes = 64 * 1024;
  o.poll_interval_ns = 3'600'000'000'000;  // the package does not change
  o.log = [](const std::string&) {};
  auto server = mlpipe::serving::ModelServer::Create(std::move(o));
  if (!server.ok() || !(*server)->Start().ok()) std::abort();
  g_server = std::move(*server);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Exchange(reinterpret_cast<const char*>(data), size, 2000);
  // Still serving: a well-formed request gets its answer.
  static const char kHealth[] = "GET /v2/health/live HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n";
  // (Up to 6 s without a byte: a loaded machine under ASan can stall a while;
  // a server that stopped serving stays silent for good.)
  std::string why;
  const std::string health = Exchange(kHealth, sizeof kHealth - 1, 6000, &why);
  if (health.rfind("HTTP/1.1 200", 0) != 0) {
    std::fprintf(stderr, "the health check after this input got: '%s' (%s)\n", health.c_str(), why.c_str());
    // MLPIPE_FUZZ_PAUSE=1: wait to be looked at (gdb -p PID) before failing.
    if (std::getenv("MLPIPE_FUZZ_PAUSE") != nullptr) {
      std::fprintf(stderr, "paused: pid %d\n", getpid());
      sleep(600);
    }
    std::abort();
  }
  return 0;
}
