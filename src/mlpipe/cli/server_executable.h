// Where `mlpipe serve` finds the model server's executable, mlpipe-serve.
#pragma once

#include <string>
#include <vector>

namespace mlpipe::cli {

// The paths to try, in order: beside the running mlpipe (the build tree, or
// an installation that keeps both in one folder), then the libexec folder of
// mlpipe's installation (`<bin>/../libexec/mlpipe`, as configured by CMake's
// CMAKE_INSTALL_BINDIR and CMAKE_INSTALL_LIBEXECDIR). Empty if the running
// executable's path cannot be read.
std::vector<std::string> ServerExecutableCandidates();

}  // namespace mlpipe::cli
