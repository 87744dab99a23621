// The least an HTTP/1.1 keep-alive server can do, for bench/serving/run.sh's
// one-connection floor: one blocking thread, one connection at a time; each
// read is taken as one whole request and answered with the same constant
// response as mlpipe's GET /v2/health/live. No parsing, no routing, no
// allocation. (Correct only for a client that sends one small request and
// waits for the answer, as wrk does at one connection.)
//   floor_server PORT   (prints "listening on http://127.0.0.1:PORT")
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: floor_server PORT\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  int one = 1;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(s, 16) != 0) {
    std::perror("floor_server: bind/listen");
    return 1;
  }
  std::printf("listening on http://127.0.0.1:%d\n", port);
  std::fflush(stdout);
  static const char kResponse[] =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"live\":true}";
  static char buf[65536];
  for (;;) {
    int c = accept(s, nullptr, nullptr);
    if (c < 0) continue;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    while (read(c, buf, sizeof buf) > 0) {
      if (write(c, kResponse, sizeof kResponse - 1) != static_cast<ssize_t>(sizeof kResponse - 1)) break;
    }
    close(c);
  }
}
