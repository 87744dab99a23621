#include "mlpipe/exec/run_tool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mlpipe/exec/spawn.h"

namespace mlpipe::exec {
namespace {

void CloseToolFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

StatusOr<ToolResult> RunTool(const std::vector<std::string>& argv, const std::string& input) {
  if (argv.empty()) return InvalidArgumentError("RunTool: empty command");
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
    return InternalError(fmt::format("pipe: {}", std::strerror(errno)));
  }
  Command command;
  command.argv = argv;
  std::string error;
  const pid_t pid = SpawnProcessGroup(command, out[1], err[1], &error, in[0]);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  int to_child = in[1], from_out = out[0], from_err = err[0];
  if (pid < 0) {
    CloseToolFd(to_child);
    CloseToolFd(from_out);
    CloseToolFd(from_err);
    return FailedPreconditionError(error);
  }
  ::fcntl(to_child, F_SETFL, O_NONBLOCK);
  ToolResult result;
  size_t written = 0;
  if (input.empty()) CloseToolFd(to_child);
  char buf[16384];
  while (from_out >= 0 || from_err >= 0 || to_child >= 0) {
    pollfd fds[3] = {{from_out, POLLIN, 0}, {from_err, POLLIN, 0}, {to_child, POLLOUT, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (to_child >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(to_child, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();  // the tool stopped reading
      if (written == input.size()) CloseToolFd(to_child);
    }
    for (int i = 0; i < 2; ++i) {
      int& fd = i == 0 ? from_out : from_err;
      if (fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        CloseToolFd(fd);
      }
    }
  }
  CloseToolFd(to_child);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace mlpipe::exec
