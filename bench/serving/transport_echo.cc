// A transport-only server for bench/serving/transport_ab.sh: HttpServer
// (default options: 16 workers) with a handler that answers a constant JSON
// body, what GET /v2/health/live costs without mlpipe serve's routes. Built
// by the script against two revisions of http_server.cc.
//   transport_echo PORT   (prints "listening on http://127.0.0.1:PORT")
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "mlpipe/serving/http_server.h"

int main(int argc, char** argv) {
  mlpipe::serving::HttpServerOptions o;
  o.port = argc > 1 ? std::atoi(argv[1]) : 0;
  auto s = mlpipe::serving::HttpServer::Bind(
      o, [](const mlpipe::serving::HttpRequest&, mlpipe::serving::HttpResponse& res) {
        res.body = "{\"live\":true}";
      });
  if (!s.ok()) return 1;
  (*s)->Start();
  std::printf("listening on http://127.0.0.1:%d\n", (*s)->port());
  std::fflush(stdout);
  for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
}
