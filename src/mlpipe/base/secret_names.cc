#include "mlpipe/base/secret_names.h"

#include <string>

#include "mlpipe/base/strings.h"

namespace mlpipe {

bool IsSecretVariable(std::string_view name) {
  const std::string lower = AsciiLower(name);
  for (std::string_view word : {"secret", "token", "password", "passwd", "credential"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return lower == "aws_access_key_id" || EndsWith(lower, "_key");
}

}  // namespace mlpipe
