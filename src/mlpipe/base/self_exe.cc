#include "mlpipe/base/self_exe.h"

#include <filesystem>
#include <system_error>

namespace mlpipe {

std::string SelfExecutable() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : self.string();
}

std::string SiblingExecutable(const std::string& name) {
  const std::string self = SelfExecutable();
  if (self.empty()) return "";
  return (std::filesystem::path(self).parent_path() / name).string();
}

}  // namespace mlpipe
