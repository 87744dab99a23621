#include "mlpipe/data/json_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>

namespace mlpipe::data {

nlohmann::json NumberToJson(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

StatusOr<double> NumberFromJson(const nlohmann::json& j, const std::string& what) {
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (!j.is_number()) return InvalidArgumentError(fmt::format("{}: expected a number", what));
  return j.get<double>();
}

nlohmann::json NumbersToJson(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double d : v) a.push_back(NumberToJson(d));
  return a;
}

StatusOr<std::vector<double>> NumbersFromJson(const nlohmann::json& j, const std::string& what) {
  if (!j.is_array()) return InvalidArgumentError(fmt::format("{}: expected an array of numbers", what));
  std::vector<double> out;
  out.reserve(j.size());
  for (const auto& e : j) {
    ASSIGN_OR_RETURN(double d, NumberFromJson(e, what));
    out.push_back(d);
  }
  return out;
}

Status WriteJsonFile(const nlohmann::json& j, const std::string& path) {
  return WriteFileAtomic(j.dump(2) + "\n", path);
}

Status WriteFileAtomic(std::string_view text, const std::string& path) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open " + tmp, errno);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoError("write " + tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("close " + tmp, err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError("rename " + tmp, err);
  }
  return OkStatus();
}

StatusOr<nlohmann::json> ReadJsonFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return ErrnoError("open " + path, errno);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError(fmt::format("{}: not valid JSON", path));
  return j;
}

}  // namespace mlpipe::data
