// Number text <-> double, the one definition used by CSV reading, value
// conversion in transforms and validation, and writing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mlpipe::data {

// Parses all of `text` as a number: C locale, '.' decimal point, optional
// leading '+', surrounding spaces ignored, "inf"/"nan" accepted (std::from_chars
// general format). False (and *out unchanged or garbage) otherwise. No allocation.
inline bool ParseNumber(std::string_view text, double* out);

// Shortest text that reads back as the same double ("3", "0.1", "1e+20"); "" for NaN.
std::string FormatNumber(double v);

// ---------------------------------------------------------------------------
// Implementation details (inline for the CSV reader's inner loop).
namespace number_internal {

inline constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// Fast path for plain decimals ("-12", "61.5") with at most 15 significant
// digits: mantissa and 10^k are exact doubles, so one division is correctly
// rounded (Clinger's fast path). False means "use the general parser".
inline bool ParseSimpleDecimal(const char* b, const char* e, double* out) {
  bool neg = false;
  if (b != e && *b == '-') {
    neg = true;
    ++b;
  }
  if (b == e) return false;
  uint64_t mant = 0;
  int digits = 0;
  int frac = 0;
  bool dot = false;
  bool any_digit = false;
  for (; b != e; ++b) {
    unsigned d = static_cast<unsigned>(*b - '0');
    if (d < 10) {
      mant = mant * 10 + d;
      any_digit = true;
      if (mant != 0) ++digits;
      frac += dot ? 1 : 0;
    } else if (*b == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  if (!any_digit || digits > 15 || frac > 22) return false;
  double v = static_cast<double>(mant);
  if (frac > 0) v /= kPow10[frac];
  *out = neg ? -v : v;
  return true;
}

// std::from_chars on [b, e) (b past any '+' and spaces).
bool ParseGeneral(const char* b, const char* e, double* out);

}  // namespace number_internal

inline bool ParseNumber(std::string_view t, double* out) {
  const char* b = t.data();
  const char* e = b + t.size();
  if (b != e && (*b == ' ' || e[-1] == ' ')) {
    while (b != e && *b == ' ') ++b;
    while (b != e && e[-1] == ' ') --e;
  }
  if (b != e && *b == '+') ++b;
  if (b == e) return false;
  if (number_internal::ParseSimpleDecimal(b, e, out)) return true;
  return number_internal::ParseGeneral(b, e, out);
}

}  // namespace mlpipe::data
