// The model server's transport seen from outside: the real `mlpipe serve`
// and `mlpipe server` processes, raw sockets on loopback. Both /metrics pages
// show the transport's numbers and the process_* series; the bound on open
// connections and the request deadline are the flags'.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/command_package_util.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/serve_util.h"
#include "tests/e2e/server_util.h"

namespace mlpipe::e2e {
namespace {

// A connected client socket (10 s receive timeout: a bound on hanging).
class Socket {
 public:
  explicit Socket(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{};
    tv.tv_sec = 10;
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Socket() { close(fd_); }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size());
  }
  // Everything until the server closes (or 10 s pass).
  std::string ReadToClose() {
    std::string in;
    char buf[4096];
    for (ssize_t n; (n = recv(fd_, buf, sizeof buf, 0)) > 0;) in.append(buf, static_cast<size_t>(n));
    return in;
  }

 private:
  int fd_;
  bool connected_ = false;
};

// The value of an unlabelled series on a Prometheus page; -1 if absent.
double Series(const std::string& page, const std::string& name) {
  const std::string line = "\n" + name + " ";
  const size_t at = page.find(line);
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + line.size()));
}

void ExpectProcessSeries(const std::string& page) {
  EXPECT_GT(Series(page, "process_cpu_seconds_total"), 0) << page;
  EXPECT_GT(Series(page, "process_resident_memory_bytes"), 1e6) << page;
  EXPECT_GT(Series(page, "process_virtual_memory_bytes"), Series(page, "process_resident_memory_bytes"));
  EXPECT_GT(Series(page, "process_open_fds"), 3) << page;
  EXPECT_GE(Series(page, "process_max_fds"), Series(page, "process_open_fds"));
  EXPECT_GT(Series(page, "process_start_time_seconds"), 1.6e9) << page;
}

TEST(TransportE2ETest, ServeBoundsConnectionsAndShowsItsTransportInMetrics) {
  Project p("transport_serve");
  WriteShiftPackage(p, "m", 0.0, 1);
  ServeProcess serve(
      p, {"--package", "m", "--max-connections", "6", "--max-queued", "7", "--request-timeout", "1s"});
  ASSERT_GT(serve.port(), 0) << serve.Err();
  std::vector<std::unique_ptr<Socket>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<Socket>(serve.port()));
    ASSERT_TRUE(held.back()->connected());
  }
  httplib::Client c("127.0.0.1", serve.port());
  std::string page;
  ASSERT_TRUE(Eventually([&] {
    auto res = c.Get("/metrics");
    page = res ? res->body : "";
    return Series(page, "mlpipe_http_open_connections") >= 5;  // the 4 held and this client's
  })) << page;
  EXPECT_EQ(Series(page, "mlpipe_http_max_connections"), 6);
  EXPECT_EQ(Series(page, "mlpipe_http_max_queued_requests"), 7);
  EXPECT_EQ(Series(page, "mlpipe_http_workers"), 16);
  EXPECT_GE(Series(page, "mlpipe_http_busy_workers"), 1);  // this very request
  EXPECT_EQ(Series(page, "mlpipe_http_rejected_connections_total"), 0);
  ExpectProcessSeries(page);

  // The 7th open connection is answered 503 and closed, and counted (the
  // client above closes its connection after each request).
  for (int i = 0; i < 2; ++i) held.push_back(std::make_unique<Socket>(serve.port()));
  Socket seventh(serve.port());
  const std::string refused = seventh.ReadToClose();
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("Retry-After: 1\r\n"), std::string::npos) << refused;
  held.clear();
  ASSERT_TRUE(Eventually([&] {
    auto res = c.Get("/metrics");
    page = res ? res->body : "";
    // At least 1: until the server has seen the held ones close, this client may be refused too.
    return Series(page, "mlpipe_http_rejected_connections_total") >= 1;
  })) << page;

  // A request that trickles past --request-timeout is answered 408 and counted.
  Socket slow(serve.port());
  ASSERT_TRUE(slow.Send("GET /v2/health/live HTTP/1.1\r\nHo"));
  const std::string timed_out = slow.ReadToClose();
  EXPECT_EQ(timed_out.rfind("HTTP/1.1 408", 0), 0u) << timed_out;
  auto res = c.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(Series(res->body, "mlpipe_http_request_timeouts_total"), 1) << res->body;
}

TEST(TransportE2ETest, ServerMetricsShowItsTransportAndProcess) {
  Project p("transport_server");
  p.Write("data/in.csv", "a\n1\n");
  p.Write("tiny.yaml",
          "pipeline: tiny\nsteps:\n  copy:\n    run: cp data/in.csv ${outputs.copy}\n"
          "    inputs: {data: data/in.csv}\n    outputs: {copy: dataset}\n");
  Server s(p, {"--max-connections", "100"});
  ASSERT_GT(s.proc().port(), 0) << s.proc().Err();
  Socket held(s.proc().port());
  ASSERT_TRUE(held.connected());
  std::string page;
  ASSERT_TRUE(Eventually([&] {
    page = s.Text("/metrics");
    return Series(page, "mlpipe_http_open_connections") >= 2;
  })) << page;
  EXPECT_EQ(Series(page, "mlpipe_http_max_connections"), 100);
  EXPECT_GE(Series(page, "mlpipe_http_requests_total"), 1);
  ExpectProcessSeries(page);
}

}  // namespace
}  // namespace mlpipe::e2e
