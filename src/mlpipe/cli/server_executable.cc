#include "mlpipe/cli/server_executable.h"

#include <filesystem>

#include "mlpipe/base/self_exe.h"

#ifndef MLPIPE_LIBEXEC_FROM_BIN
#define MLPIPE_LIBEXEC_FROM_BIN "../libexec/mlpipe"
#endif

namespace mlpipe::cli {

std::vector<std::string> ServerExecutableCandidates() {
  const std::string self = SelfExecutable();
  if (self.empty()) return {};
  const std::filesystem::path bin = std::filesystem::path(self).parent_path();
  return {SiblingExecutable("mlpipe-serve"),
          (bin / MLPIPE_LIBEXEC_FROM_BIN / "mlpipe-serve").lexically_normal().string()};
}

}  // namespace mlpipe::cli
