#include "mlpipe/data/number.h"

#include <charconv>
#include <cmath>

namespace mlpipe::data {

namespace number_internal {

bool ParseGeneral(const char* b, const char* e, double* out) {
  auto r = std::from_chars(b, e, *out);
  return r.ec == std::errc() && r.ptr == e;
}

}  // namespace number_internal

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace mlpipe::data
