// Internal to the transform_apply*.cc files: how one value becomes
// features (shared by Transform::Apply on tables and ApplyRowInto on rows,
// so both give the same numbers).
#pragma once

#include <cmath>
#include <limits>
#include <string_view>

#include <fmt/format.h>

#include "mlpipe/data/transform.h"

namespace mlpipe::data::transform_internal {

using Step = Transform::Step;
constexpr float kNaNf = std::numeric_limits<float>::quiet_NaN();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int32_t kNoFeature = -1;

// A text value that reads as missing (the CSV reader's default NA words).
inline bool IsNaText(std::string_view s) {
  return s.empty() || s == "NA" || s == "N/A" || s == "NaN" || s == "null";
}

inline void PutNumber(const Step& s, size_t k, double v, float* out, ApplyReport* rep) {
  if (std::isnan(v)) {
    v = s.fill[k];
    if (rep != nullptr && !std::isnan(v)) ++rep->imputed_values;
  }
  out[k] = std::isnan(v) ? kNaNf : static_cast<float>((v - s.mean[k]) / s.scale[k]);
}

inline void PutDate(const Step& s, int32_t day, float* out, ApplyReport* rep) {
  double f[4] = {kNaN, kNaN, kNaN, kNaN};
  if (day != kMissingDay) {
    CivilDate c = CivilFromDays(day);
    f[0] = c.year;
    f[1] = c.month;
    f[2] = DayOfWeek(day);
    f[3] = DayOfYear(day);
  }
  for (size_t k = 0; k < 4; ++k) PutNumber(s, k, f[k], out, rep);
}

// One-hot offset for a present category (kNoFeature if it maps to nothing);
// counts unknown values.
inline int32_t CategoryOffset(const Step& s, std::string_view value, ApplyReport* rep) {
  auto it = s.category_index.find(value);
  if (it != s.category_index.end()) return it->second;
  if (rep != nullptr) ++rep->unknown_categories[s.name];
  return s.other_offset;
}

// One-hot offset for a missing category: "__missing__" if fitted, else the
// train mode under kMostFrequent, else none (all zeros).
inline int32_t MissingCategoryOffset(const Step& s, bool most_frequent, ApplyReport* rep) {
  if (s.missing_offset >= 0) return s.missing_offset;
  if (!most_frequent) return kNoFeature;
  auto it = s.category_index.find(s.mode);
  if (it == s.category_index.end()) return kNoFeature;
  if (rep != nullptr) ++rep->imputed_values;
  return it->second;
}

inline Status BadValue(const Step& s, size_t row, std::string_view value, const char* what) {
  return InvalidArgumentError(fmt::format("column '{}' row {}: '{}' is not a {}", s.name, row + 1,
                                          value, what));
}

}  // namespace mlpipe::data::transform_internal
