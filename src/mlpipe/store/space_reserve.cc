#include "mlpipe/store/space_reserve.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mlpipe/base/strings.h"

namespace mlpipe::store {

bool EnsureSpaceReserve(const Workspace& ws) {
  const std::string path = ws.ReservePath();
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_blocks) * 512 >= kReserveBytes)
    return true;
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  // Allocated blocks, so that removing it frees them.
  const bool made = ::posix_fallocate(fd, 0, static_cast<off_t>(kReserveBytes)) == 0;
  ::close(fd);
  if (!made || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

bool ReleaseSpaceReserve(const Workspace& ws) { return ::unlink(ws.ReservePath().c_str()) == 0; }

bool IsDiskFull(const std::string& message) {
  return message.find(std::strerror(ENOSPC)) != std::string::npos ||
         message.find(std::strerror(EDQUOT)) != std::string::npos ||
         message.find("database or disk is full") != std::string::npos;
}

std::string DiskFullDetail(FileSystem& fs, const std::string& path, std::optional<uint64_t> needed) {
  auto space = fs.Space(path);
  if (!space.ok()) return "";
  return fmt::format(
      "the disk holding {} is full: {} free of {}{}; free space (mlpipe artifacts gc, mlpipe runs delete, "
      "or outside mlpipe) and run again: what finished is reused",
      path, FormatBytes(space->available), FormatBytes(space->total),
      needed ? fmt::format("; this needs {}", FormatBytes(*needed)) : std::string());
}

bool NearlyFull(FileSystem& fs, const std::string& path) {
  auto space = fs.Space(path);
  return space.ok() && space->available < kReserveBytes;
}

}  // namespace mlpipe::store
