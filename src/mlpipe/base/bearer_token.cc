#include "mlpipe/base/bearer_token.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace mlpipe {

StatusOr<std::string> LoadOrCreateToken(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    if ((st.st_mode & 077) != 0) {
      return InvalidArgumentError(fmt::format("token file {} may be read by others (mode {:o}); chmod 600 it",
                                              path, st.st_mode & 0777));
    }
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\r' || token.back() == '\t'))
      token.pop_back();
    if (token.empty()) return InvalidArgumentError(fmt::format("token file {} is empty", path));
    return token;
  }
  unsigned char bytes[32];
  if (getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
    return InternalError(fmt::format("getrandom: {}", std::strerror(errno)));
  }
  std::string token;
  for (unsigned char b : bytes) token += fmt::format("{:02x}", b);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return InvalidArgumentError(fmt::format("cannot create token file {}: {}", path, std::strerror(errno)));
  const std::string line = token + "\n";
  const bool ok = write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && fsync(fd) == 0;
  close(fd);
  if (!ok) return InternalError(fmt::format("cannot write token file {}", path));
  return token;
}

bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

bool TokenMatches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() != kBearer.size() + token.size()) return false;
  if (authorization.substr(0, kBearer.size()) != kBearer) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < token.size(); ++i) {
    diff |= static_cast<unsigned char>(authorization[kBearer.size() + i] ^ token[i]);
  }
  return diff == 0;
}

}  // namespace mlpipe
