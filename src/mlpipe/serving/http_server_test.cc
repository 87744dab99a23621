// HttpServer over real sockets on 127.0.0.1: raw requests where the bytes
// matter (keep-alive, errors, shutdown), cpp-httplib's client elsewhere.
#include "mlpipe/serving/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace mlpipe::serving {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// One response as read off the wire.
struct RawResponse {
  int status = 0;    // 0 = no response (the connection closed or timed out first)
  std::string head;  // status line and fields
  std::string body;
  bool HasField(const std::string& line) const {
    return head.find("\r\n" + line + "\r\n") != std::string::npos;
  }
};

// A client connection that writes exact bytes and reads responses.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{};
    tv.tv_sec = 10;  // a test that waits longer has failed
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() { close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads one response framed by Content-Length (`head_request`: no body).
  RawResponse Read(bool head_request = false) {
    RawResponse r;
    size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return r;
    }
    r.head = in_.substr(0, end + 2);
    in_.erase(0, end + 4);
    size_t length = 0;
    for (const char* name : {"Content-Length: ", "content-length: "}) {
      if (auto at = r.head.find(name); at != std::string::npos) length = std::stoul(r.head.substr(at + 16));
    }
    if (head_request) length = 0;
    while (in_.size() < length) {
      if (!Fill()) return r;
    }
    r.body = in_.substr(0, length);
    in_.erase(0, length);
    r.status = std::stoi(r.head.substr(9, 3));
    return r;
  }
  // True if the server closed the connection (EOF; or reset) with nothing more sent.
  bool ClosedByServer() {
    char c;
    ssize_t n = recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }
  void Close() { shutdown(fd_, SHUT_RDWR); }
  int fd() const { return fd_; }
  // True if the server sends exactly `bytes` (after what Read took) and closes.
  bool ClosedByServerAfter(const std::string& bytes) {
    while (Fill()) {
    }
    return in_ == bytes;
  }

 private:
  bool Fill() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string in_;
};

std::string Get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}
std::string Post(const std::string& target, const std::string& body, const std::string& extra = "") {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + extra + "\r\n" + body;
}

class HttpServerTest : public ::testing::Test {
 protected:
  // An echo handler: "METHOD path body"; /slow waits for slow_release_.
  void Start(HttpServerOptions o = {}) {
    auto s = HttpServer::Bind(std::move(o), [this](const HttpRequest& req, HttpResponse& res) {
      calls_.fetch_add(1);
      if (req.path == "/slow") {
        slow_entered_.set_value();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
      }
      if (req.path == "/throw") throw std::runtime_error("boom");
      if (req.path == "/block") {
        blocked_.fetch_add(1);
        released_.wait();
      }
      if (req.path == "/stream") {
        res.stream = [this](const HttpResponse::Writer& write) {
          write("data: first\n\n");
          released_.wait();
          write("data: last\n\n");
        };
        return;
      }
      if (req.path == "/big") {
        res.body.assign(8 << 20, 'x');
        return;
      }
      if (req.path == "/header") {
        res.body = std::string(req.header("X-Mlpipe-Thing")) + "|" + std::string(req.header("Absent"));
        return;
      }
      res.headers.emplace_back("X-Seen-Path", req.path);
      res.body = req.method + " " + req.path + " " + req.body;
    });
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    ASSERT_GT(server_->port(), 0);
    server_->Start();
  }
  void TearDown() override {
    Release();
    if (server_) server_->Shutdown(5'000'000'000);
  }
  // Lets /block and /stream handlers return.
  void Release() {
    if (!released_flag_.exchange(true)) release_.set_value();
  }
  // Waits (10 s at most: a bound on hanging) until `done` holds of the stats.
  bool WaitForStats(const std::function<bool(const HttpServerStats&)>& done) {
    for (int i = 0; i < 1000; ++i) {
      if (done(server_->Stats())) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  int port() const { return server_->port(); }

  std::unique_ptr<HttpServer> server_;
  std::atomic<int> calls_{0};
  std::promise<void> slow_entered_;
  std::atomic<int> blocked_{0};
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  std::atomic<bool> released_flag_{false};
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Start();
  RawConnection c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(Get("/a")));
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /a ");
  EXPECT_TRUE(r.HasField("Content-Type: application/json")) << r.head;
  EXPECT_TRUE(r.HasField("X-Seen-Path: /a")) << r.head;
  ASSERT_TRUE(c.Send(Post("/b", R"({"x": 1})")));
  EXPECT_EQ(c.Read().body, R"(POST /b {"x": 1})");
  // Two pipelined requests in one write: both answered, in order.
  ASSERT_TRUE(c.Send(Get("/c?q=1") + Post("/d%3Apredict", "e")));
  EXPECT_EQ(c.Read().body, "GET /c ");
  EXPECT_EQ(c.Read().body, "POST /d:predict e");
  EXPECT_EQ(calls_.load(), 4);
}

TEST_F(HttpServerTest, PostWithoutContentLengthHasAnEmptyBody) {
  Start();
  RawConnection c(port());
  ASSERT_TRUE(c.Send("POST /load HTTP/1.1\r\nHost: t\r\n\r\n"));
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "POST /load ");
}

TEST_F(HttpServerTest, OversizedBodyIs413AndTheServerKeepsServing) {
  HttpServerOptions o;
  o.max_body_bytes = 1024;
  Start(o);
  {
    RawConnection c(port());
    ASSERT_TRUE(
        c.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" + std::string(4000, 'a')));
    RawResponse r = c.Read();
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.body, R"({"error":"request body exceeds the size limit"})");
    EXPECT_TRUE(r.HasField("Connection: close")) << r.head;
  }
  // A client that sends the whole body before it reads still gets the answer.
  httplib::Client client("127.0.0.1", port());
  auto res = client.Post("/x", std::string(300 * 1024, 'a'), "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 413);
  auto ok = client.Post("/x", "small", "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(calls_.load(), 1);
}

TEST_F(HttpServerTest, GarbageRequestIs400AndTheConnectionCloses) {
  Start();
  RawConnection c(port());
  ASSERT_TRUE(c.Send("this is not http\r\n\r\n"));
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"({"error":"bad request)"), std::string::npos) << r.body;
  EXPECT_TRUE(c.ClosedByServer());
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  HttpServerOptions o;
  o.max_header_bytes = 2048;
  Start(o);
  RawConnection c(port());
  ASSERT_TRUE(c.Send(Get("/a", "X-Big: " + std::string(4000, 'b') + "\r\n")));
  EXPECT_EQ(c.Read().status, 431);
}

TEST_F(HttpServerTest, OtherMethodsAre405AndTheConnectionStaysOpen) {
  Start();
  RawConnection c(port());
  ASSERT_TRUE(c.Send("PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"));
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body, R"({"error":"method not allowed"})");
  EXPECT_TRUE(r.HasField("Allow: GET, POST, HEAD")) << r.head;
  ASSERT_TRUE(c.Send(Get("/after")));
  EXPECT_EQ(c.Read().body, "GET /after ");
  EXPECT_EQ(calls_.load(), 1);
}

TEST_F(HttpServerTest, HeadIsAGetWithoutTheBody) {
  Start();
  RawConnection c(port());
  ASSERT_TRUE(c.Send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n"));
  RawResponse r = c.Read(/*head_request=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.HasField("Content-Length: 7")) << r.head;  // "GET /h "
  // Had a body been sent, it would be read as the next response.
  ASSERT_TRUE(c.Send(Get("/next")));
  EXPECT_EQ(c.Read().body, "GET /next ");
}

TEST_F(HttpServerTest, HeaderLookupIsCaseInsensitive) {
  Start();
  RawConnection c(port());
  ASSERT_TRUE(c.Send(Get("/header", "x-MLPIPE-thing: blue\r\n")));
  EXPECT_EQ(c.Read().body, "blue|");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  Start();
  {
    RawConnection c(port());
    ASSERT_TRUE(c.Send(Get("/a", "Connection: close\r\n")));
    RawResponse r = c.Read();
    EXPECT_EQ(r.status, 200);
    EXPECT_TRUE(r.HasField("Connection: close")) << r.head;
    EXPECT_TRUE(c.ClosedByServer());
  }
  {
    RawConnection c(port());  // HTTP/1.0 closes unless asked to keep alive
    ASSERT_TRUE(c.Send("GET /a HTTP/1.0\r\n\r\n"));
    EXPECT_EQ(c.Read().status, 200);
    EXPECT_TRUE(c.ClosedByServer());
  }
  {
    RawConnection c(port());
    ASSERT_TRUE(c.Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    RawResponse r = c.Read();
    EXPECT_TRUE(r.HasField("Connection: keep-alive")) << r.head;
    ASSERT_TRUE(c.Send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    EXPECT_EQ(c.Read().body, "GET /b ");
  }
}

TEST_F(HttpServerTest, ExpectContinueGetsA100BeforeTheBody) {
  Start();
  RawConnection c(port());
  ASSERT_TRUE(c.Send("POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  RawResponse cont = c.Read();
  EXPECT_EQ(cont.status, 100);
  ASSERT_TRUE(c.Send("hello"));
  EXPECT_EQ(c.Read().body, "POST /e hello");
}

TEST_F(HttpServerTest, HandlerExceptionIs500) {
  Start();
  RawConnection c(port());
  ASSERT_TRUE(c.Send(Get("/throw")));
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body, R"({"error":"internal error: boom"})");
}

TEST_F(HttpServerTest, SilentClientIsDroppedAfterTheKeepAliveTimeout) {
  HttpServerOptions o;
  o.keep_alive_timeout_s = 1;
  Start(o);
  RawConnection c(port());
  ASSERT_TRUE(c.connected());
  const auto start = Clock::now();
  EXPECT_TRUE(c.ClosedByServer());
  EXPECT_GT(SecondsSince(start), 0.8);  // not before the timeout (load only makes it later)
}

TEST_F(HttpServerTest, ClientsThatVanishMidRequestOrMidResponseDoNotHurt) {
  Start();
  {
    RawConnection c(port());
    ASSERT_TRUE(c.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nhalf"));
  }
  {
    RawConnection c(port());  // 8 MiB answer, never read
    ASSERT_TRUE(c.Send(Get("/big")));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  RawConnection c(port());
  ASSERT_TRUE(c.Send(Get("/still")));
  EXPECT_EQ(c.Read().body, "GET /still ");
}

TEST_F(HttpServerTest, MoreConnectionsThanThreadsAreAllServed) {
  HttpServerOptions o;
  o.threads = 2;
  Start(o);
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 6; ++i) {
    conns.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(conns.back()->Send(Get("/n" + std::to_string(i), "Connection: close\r\n")));
  }
  for (int i = 0; i < 6; ++i) EXPECT_EQ(conns[i]->Read().body, "GET /n" + std::to_string(i) + " ");
  // And through a client making a connection per request, from 8 threads.
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      httplib::Client client("127.0.0.1", port());
      for (int i = 0; i < 10; ++i) {
        auto res = client.Get("/p");
        if (res && res->status == 200) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

TEST_F(HttpServerTest, ShutdownLetsASlowRequestFinishAndAnswer) {
  Start();
  RawConnection c(port());
  ASSERT_TRUE(c.Send(Get("/slow")));
  slow_entered_.get_future().wait();
  const auto start = Clock::now();
  EXPECT_TRUE(server_->Shutdown(5'000'000'000));
  EXPECT_GT(SecondsSince(start), 0.2);
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /slow ");
  EXPECT_TRUE(r.HasField("Connection: close")) << r.head;
  EXPECT_TRUE(c.ClosedByServer());
  RawConnection after(port());
  EXPECT_FALSE(after.connected());
}

TEST_F(HttpServerTest, ShutdownClosesIdleKeepAliveConnectionsPromptly) {
  HttpServerOptions o;
  o.keep_alive_timeout_s = 30;
  Start(o);
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(conns.back()->Send(Get("/a")));
    EXPECT_EQ(conns.back()->Read().status, 200);
  }
  RawConnection silent(port());  // connected, never sent anything
  ASSERT_TRUE(silent.connected());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto start = Clock::now();
  EXPECT_TRUE(server_->Shutdown(10'000'000'000));
  // Not the 30 s keep-alive timeout: far from it, so a loaded machine passes.
  EXPECT_LT(SecondsSince(start), 15.0);
  for (auto& c : conns) EXPECT_TRUE(c->ClosedByServer());
  EXPECT_TRUE(silent.ClosedByServer());
}

TEST_F(HttpServerTest, ShutdownPastTheGraceCutsStuckClients) {
  HttpServerOptions o;
  o.request_timeout_s = 30;
  Start(o);
  RawConnection c(port());  // a body that never comes: busy, not idle
  ASSERT_TRUE(c.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nhalf"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const auto start = Clock::now();
  EXPECT_FALSE(server_->Shutdown(200'000'000));
  EXPECT_LT(SecondsSince(start), 15.0);  // the grace, not the 30 s request timeout
}

// Idle keep-alive connections cost no worker: with 1,000 of them open (16
// workers), new clients are answered.
TEST_F(HttpServerTest, ThousandIdleKeepAliveConnectionsDoNotBlockNewClients) {
  constexpr int kIdle = 1000;
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < 2 * kIdle + 256) {
    GTEST_SKIP() << "the hard open-file limit (" << lim.rlim_max << ") is below the test's 2,256 sockets";
  }
  lim.rlim_cur = lim.rlim_max;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
  HttpServerOptions o;
  o.keep_alive_timeout_s = 120;
  Start(o);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < kIdle; ++i) {
    idle.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  // Half of them have been served once (keep-alive after a request), half never sent anything.
  // (One at a time: all at once, most would find the queue of waiting requests full.)
  for (int i = 0; i < kIdle; i += 2) {
    ASSERT_TRUE(idle[i]->Send(Get("/first")));
    ASSERT_EQ(idle[i]->Read().status, 200) << i;
  }
  ASSERT_TRUE(WaitForStats([&](const HttpServerStats& s) { return s.open_connections >= kIdle; }));
  // Each read is bounded by RawConnection's 10 s receive timeout: a bound on hanging.
  int answered = 0;
  for (int i = 0; i < 50; ++i) {
    RawConnection c(port());
    ASSERT_TRUE(c.Send(Get("/new" + std::to_string(i))));
    RawResponse r = c.Read();
    if (r.status == 200 && r.body == "GET /new" + std::to_string(i) + " ") ++answered;
  }
  EXPECT_EQ(answered, 50);
  const HttpServerStats s = server_->Stats();
  EXPECT_GE(s.open_connections, kIdle);
  EXPECT_EQ(s.requests_total, kIdle / 2 + 50);
  EXPECT_EQ(s.busy_workers, 0);
}

// A client that sends its request a byte at a time holds nothing: others are
// served meanwhile, and it is cut (408) at the request deadline, not at a
// per-read timeout it can keep resetting.
TEST_F(HttpServerTest, TricklingClientsAreCutAtTheRequestDeadline) {
  HttpServerOptions o;
  o.threads = 2;
  o.request_timeout_s = 1;
  o.keep_alive_timeout_s = 30;
  Start(o);
  constexpr int kTricklers = 16;
  // 200 header bytes at one per 200 ms: 40 s, far past the 1 s deadline.
  const std::string slow = Get("/slowly", "X-Pad: " + std::string(170, 'p') + "\r\n");
  std::atomic<int> started{0};
  std::vector<int> outcome(kTricklers, -1);  // the status read, 0 = closed without an answer
  std::vector<std::thread> tricklers;
  for (int t = 0; t < kTricklers; ++t) {
    tricklers.emplace_back([&, t] {
      RawConnection c(port());
      started.fetch_add(1);
      for (char byte : slow) {
        if (!c.Send(std::string(1, byte))) break;
        pollfd ready{c.fd(), POLLIN, 0};
        if (poll(&ready, 1, 200) > 0) break;  // the server answered or closed
      }
      outcome[t] = c.Read().status;
    });
  }
  while (started.load() < kTricklers) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // While they trickle: the health route and others are answered.
  for (const char* path : {"/v2/health/live", "/metrics"}) {
    RawConnection c(port());
    ASSERT_TRUE(c.Send(Get(path)));
    EXPECT_EQ(c.Read().status, 200) << path;
  }
  for (auto& t : tricklers) t.join();
  for (int t = 0; t < kTricklers; ++t) EXPECT_TRUE(outcome[t] == 408 || outcome[t] == 0) << outcome[t];
  EXPECT_EQ(server_->Stats().request_timeouts_total, kTricklers);
  EXPECT_EQ(calls_.load(), 2);  // the trickled requests never reached the handler
}

TEST_F(HttpServerTest, TimedOutRequestIsAnswered408) {
  HttpServerOptions o;
  o.request_timeout_s = 1;
  Start(o);
  RawConnection c(port());
  ASSERT_TRUE(c.Send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nhalf"));
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 408);
  EXPECT_EQ(r.body, R"({"error":"request not received whole within 1 s"})");
  EXPECT_TRUE(r.HasField("Connection: close")) << r.head;
  EXPECT_TRUE(c.ClosedByServer());
}

TEST_F(HttpServerTest, ManyKeepAliveClientsOnFewWorkersAllGetTheirAnswers) {
  HttpServerOptions o;
  o.threads = 4;
  o.max_queued_requests = 64;
  Start(o);
  constexpr int kClients = 64, kEach = 25;
  std::vector<int> answered(kClients, 0);
  std::vector<std::thread> clients;
  for (int t = 0; t < kClients; ++t) {
    clients.emplace_back([&, t] {
      RawConnection c(port());
      for (int i = 0; i < kEach; ++i) {
        const std::string path = "/c" + std::to_string(t) + "/" + std::to_string(i);
        if (!c.Send(Post(path, "x"))) return;
        if (c.Read().body != "POST " + path + " x") return;
        ++answered[t];
      }
    });
  }
  for (auto& t : clients) t.join();
  for (int t = 0; t < kClients; ++t) EXPECT_EQ(answered[t], kEach) << "client " << t;
  EXPECT_EQ(server_->Stats().requests_total, kClients * kEach);
}

// threads=1, max_queued_requests=2: one request runs, two wait, the fourth
// is answered 503 at once and its connection stays usable.
TEST_F(HttpServerTest, FullQueueAnswers503AndTheQueuedRequestsAreServedLater) {
  HttpServerOptions o;
  o.threads = 1;
  o.max_queued_requests = 2;
  Start(o);
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 4; ++i) conns.push_back(std::make_unique<RawConnection>(port()));
  ASSERT_TRUE(conns[0]->Send(Get("/block")));
  ASSERT_TRUE(WaitForStats([](const HttpServerStats& s) { return s.busy_workers == 1; }));
  ASSERT_TRUE(conns[1]->Send(Get("/block")));
  ASSERT_TRUE(conns[2]->Send(Get("/block")));
  ASSERT_TRUE(WaitForStats([](const HttpServerStats& s) { return s.queued_requests == 2; }));
  ASSERT_TRUE(conns[3]->Send(Get("/block")));
  RawResponse busy = conns[3]->Read();
  EXPECT_EQ(busy.status, 503);
  EXPECT_TRUE(busy.HasField("Retry-After: 1")) << busy.head;
  EXPECT_NE(busy.body.find(R"({"error":"server busy)"), std::string::npos) << busy.body;
  EXPECT_EQ(server_->Stats().rejected_requests_total, 1);
  EXPECT_EQ(blocked_.load(), 1);
  Release();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(conns[i]->Read().status, 200) << i;
  EXPECT_EQ(blocked_.load(), 3);
  ASSERT_TRUE(conns[3]->Send(Get("/after")));  // the refused request's connection is still open
  EXPECT_EQ(conns[3]->Read().body, "GET /after ");
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAre503AndCounted) {
  HttpServerOptions o;
  o.max_connections = 3;
  Start(o);
  std::vector<std::unique_ptr<RawConnection>> conns;
  for (int i = 0; i < 3; ++i) {
    conns.push_back(std::make_unique<RawConnection>(port()));
    ASSERT_TRUE(conns.back()->Send(Get("/a")));
    ASSERT_EQ(conns.back()->Read().status, 200);
  }
  RawConnection extra(port());
  ASSERT_TRUE(extra.connected());
  RawResponse r = extra.Read();
  EXPECT_EQ(r.status, 503);
  EXPECT_TRUE(r.HasField("Retry-After: 1")) << r.head;
  EXPECT_TRUE(r.HasField("Connection: close")) << r.head;
  EXPECT_TRUE(extra.ClosedByServer());
  EXPECT_EQ(server_->Stats().rejected_connections_total, 1);
  EXPECT_EQ(server_->Stats().open_connections, 3);
  // One leaves: a new connection is served again.
  conns[0].reset();
  ASSERT_TRUE(WaitForStats([](const HttpServerStats& s) { return s.open_connections == 2; }));
  RawConnection again(port());
  ASSERT_TRUE(again.Send(Get("/b")));
  EXPECT_EQ(again.Read().body, "GET /b ");
  EXPECT_EQ(server_->Stats().rejected_connections_total, 1);
}

// A keep-alive client's next request is read by the worker that answered
// the last one when it comes at once; one that comes in pieces goes back to
// the loop and is still read whole, and one that is wrong is still answered.
TEST_F(HttpServerTest, NextRequestsInPiecesOrWrongAreStillAnswered) {
  Start();
  RawConnection c(port());
  ASSERT_TRUE(c.Send(Get("/a")));
  EXPECT_EQ(c.Read().body, "GET /a ");
  ASSERT_TRUE(c.Send("GET /b HTTP/1.1\r\nHo"));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(c.Send("st: t\r\n\r\n"));
  EXPECT_EQ(c.Read().body, "GET /b ");
  ASSERT_TRUE(c.Send(Post("/c", "0123456789").substr(0, 52)));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(c.Send(Post("/c", "0123456789").substr(52)));
  EXPECT_EQ(c.Read().body, "POST /c 0123456789");
  ASSERT_TRUE(c.Send("PUT /d HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 405);
  ASSERT_TRUE(c.Send("garbage\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 400);
  EXPECT_TRUE(c.ClosedByServer());
  EXPECT_EQ(calls_.load(), 3);
}

TEST_F(HttpServerTest, AbsoluteFormTargetIsServedAsItsPath) {
  Start();
  RawConnection c(port());
  const std::string authority = "127.0.0.1:" + std::to_string(port());
  ASSERT_TRUE(
      c.Send("GET http://" + authority + "/v2/health/live?x=1 HTTP/1.1\r\nHost: " + authority + "\r\n\r\n"));
  RawResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /v2/health/live ");
  ASSERT_TRUE(c.Send("POST HTTP://" + authority + " HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nz"));
  EXPECT_EQ(c.Read().body, "POST / z");
}

// A streamed answer runs on a thread of its own: with one worker, other
// requests are served while it streams.
TEST_F(HttpServerTest, AStreamDoesNotHoldAWorker) {
  HttpServerOptions o;
  o.threads = 1;
  Start(o);
  RawConnection stream(port());
  ASSERT_TRUE(stream.Send(Get("/stream")));
  RawResponse head = stream.Read(/*head_request=*/true);
  EXPECT_EQ(head.status, 200);
  ASSERT_TRUE(WaitForStats([](const HttpServerStats& s) { return s.streams == 1; }));
  for (int i = 0; i < 3; ++i) {
    RawConnection c(port());
    ASSERT_TRUE(c.Send(Get("/other")));
    EXPECT_EQ(c.Read().body, "GET /other ");
  }
  Release();
  EXPECT_TRUE(stream.ClosedByServerAfter("data: first\n\ndata: last\n\n"));
}

TEST(HttpServerBindTest, BadOptionsAndBusyPortsAreErrors) {
  HttpServerOptions o;
  o.threads = 0;
  auto bad = HttpServer::Bind(o, [](const HttpRequest&, HttpResponse&) {});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto first = HttpServer::Bind(HttpServerOptions(), [](const HttpRequest&, HttpResponse&) {});
  ASSERT_TRUE(first.ok());
  HttpServerOptions same;
  same.port = (*first)->port();
  auto second = HttpServer::Bind(same, [](const HttpRequest&, HttpResponse&) {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("cannot listen on 127.0.0.1:"), std::string::npos);
}

// Hand-over on one port: with reuse_port a second server binds the port of a
// running one; once started it receives every new connection, and the first
// drains and stops without failing a request.
TEST(HttpServerBindTest, ReusePortHandsNewConnectionsToTheNewerServer) {
  auto named = [](const std::string& name) {
    return [name](const HttpRequest&, HttpResponse& res) { res.body = name; };
  };
  HttpServerOptions o;
  o.reuse_port = true;
  auto old_server = HttpServer::Bind(o, named("old"));
  ASSERT_TRUE(old_server.ok()) << old_server.status().ToString();
  (*old_server)->Start();
  const int port = (*old_server)->port();
  auto answer = [port]() -> std::string {
    httplib::Client c("127.0.0.1", port);
    auto res = c.Get("/who");
    return res && res->status == 200 ? res->body : "failed";
  };
  for (int i = 0; i < 5; ++i) EXPECT_EQ(answer(), "old");

  // Without reuse_port on both sides the port is busy.
  HttpServerOptions plain;
  plain.port = port;
  EXPECT_FALSE(HttpServer::Bind(plain, named("x")).ok());

  o.port = port;
  auto new_server = HttpServer::Bind(o, named("new"));
  ASSERT_TRUE(new_server.ok()) << new_server.status().ToString();
  (*new_server)->Start();
  std::map<std::string, int> seen;
  for (int i = 0; i < 40; ++i) ++seen[answer()];
  EXPECT_EQ(seen, (std::map<std::string, int>{{"new", 40}}));

  EXPECT_TRUE((*old_server)->Shutdown(5'000'000'000));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(answer(), "new");
  EXPECT_TRUE((*new_server)->Shutdown(5'000'000'000));
}

}  // namespace
}  // namespace mlpipe::serving
