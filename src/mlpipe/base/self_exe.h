// The running executable's path, for starting itself (built-in components)
// or a sibling executable (mlpipe-serve).
#pragma once

#include <string>

namespace mlpipe {

// /proc/self/exe resolved; "" if it cannot be read.
std::string SelfExecutable();

// The executable `name` in the running one's folder; "" if that is unknown.
std::string SiblingExecutable(const std::string& name);

}  // namespace mlpipe
