// Transform::ApplyRowInto / ApplyRow / EncodeLabels: one request's row (the
// serving path) and the labels. Apply on a whole table is in
// transform_apply_table.cc; both use transform_values.h.
#include <cmath>
#include <limits>
#include <unordered_map>

#include <fmt/format.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/number.h"
#include "mlpipe/data/transform.h"
#include "mlpipe/data/transform_values.h"

namespace mlpipe::data {
using transform_internal::CategoryOffset;
using transform_internal::IsNaText;
using transform_internal::kNaN;
using transform_internal::MissingCategoryOffset;
using transform_internal::PutDate;
using transform_internal::PutNumber;

Status Transform::ApplyRowInto(const std::vector<std::pair<std::string, FieldValue>>& row,
                               std::vector<float>* out, ApplyReport* rep) const {
  const bool most_frequent = options_.categorical_impute == CategoricalImpute::kMostFrequent;
  out->assign(feature_names_.size(), 0.0f);
  thread_local std::vector<char> seen;
  seen.assign(steps_.size(), 0);
  for (const auto& [name, value] : row) {
    auto it = step_index_.find(name);
    if (it == step_index_.end()) continue;
    seen[it->second] = 1;
    const Step& s = steps_[it->second];
    float* o = out->data() + s.first_feature;
    const std::string* text = std::get_if<std::string>(&value);
    const bool missing = std::holds_alternative<std::monostate>(value) || (text != nullptr && IsNaText(*text));
    switch (s.type) {
      case ColumnType::kNumeric: {
        double v = kNaN;
        if (!missing) {
          if (text == nullptr) {
            v = std::get<double>(value);
          } else if (!ParseNumber(*text, &v)) {
            return InvalidArgumentError(fmt::format("feature '{}': '{}' is not a number", name, *text));
          }
        }
        PutNumber(s, 0, v, o, rep);
        break;
      }
      case ColumnType::kDate: {
        int32_t day = kMissingDay;
        if (!missing) {
          std::optional<int32_t> d;
          if (text != nullptr) d = ParseDate(*text);
          if (!d) {
            return InvalidArgumentError(fmt::format(
                "feature '{}': '{}' is not a YYYY-MM-DD date", name,
                text != nullptr ? *text : FormatNumber(std::get<double>(value))));
          }
          day = *d;
        }
        PutDate(s, day, o, rep);
        break;
      }
      case ColumnType::kCategorical: {
        int32_t off;
        if (missing) {
          off = MissingCategoryOffset(s, most_frequent, rep);
        } else if (text != nullptr) {
          off = CategoryOffset(s, *text, rep);
        } else {
          off = CategoryOffset(s, FormatNumber(std::get<double>(value)), rep);
        }
        if (off >= 0) o[off] = 1.0f;
        break;
      }
    }
  }
  for (size_t i = 0; i < steps_.size(); ++i) {
    if (seen[i]) continue;
    const Step& s = steps_[i];
    float* o = out->data() + s.first_feature;
    switch (s.type) {
      case ColumnType::kNumeric: PutNumber(s, 0, kNaN, o, rep); break;
      case ColumnType::kDate: PutDate(s, kMissingDay, o, rep); break;
      case ColumnType::kCategorical: {
        int32_t off = MissingCategoryOffset(s, most_frequent, rep);
        if (off >= 0) o[off] = 1.0f;
        break;
      }
    }
  }
  return OkStatus();
}

StatusOr<FeatureMatrix> Transform::ApplyRow(const std::vector<std::pair<std::string, FieldValue>>& row,
                                            ApplyReport* report) const {
  FeatureMatrix fm;
  RETURN_IF_ERROR(ApplyRowInto(row, &fm.values, report));
  fm.rows = 1;
  fm.cols = feature_names_.size();
  fm.feature_names = feature_names_;
  return fm;
}

StatusOr<Labels> Transform::EncodeLabels(const Table& table) const {
  if (target_.empty()) return FailedPreconditionError("the transform was fitted without a target column");
  const Column* col = table.Find(target_);
  if (col == nullptr) return InvalidArgumentError(fmt::format("target column '{}' is missing", target_));
  Labels labels;
  labels.y.reserve(col->size());
  if (task_ == Task::kRegression) {
    for (size_t r = 0; r < col->size(); ++r) {
      double v = kNaN;
      if (col->type() == ColumnType::kNumeric) {
        v = col->number(r);
      } else if (col->type() == ColumnType::kCategorical && !col->IsMissing(r)) {
        if (!ParseNumber(col->str(r), &v)) {
          return InvalidArgumentError(fmt::format("target '{}' row {}: '{}' is not a number", target_, r + 1, col->str(r)));
        }
      }
      if (std::isnan(v)) {
        return InvalidArgumentError(fmt::format("target '{}' row {}: missing value", target_, r + 1));
      }
      labels.y.push_back(static_cast<float>(v));
    }
    return labels;
  }
  labels.class_labels = class_labels_;
  std::unordered_map<std::string, size_t, StringViewHash, std::equal_to<>> index;
  for (size_t i = 0; i < class_labels_.size(); ++i) index.emplace(class_labels_[i], i);
  for (size_t r = 0; r < col->size(); ++r) {
    if (col->IsMissing(r)) {
      return InvalidArgumentError(fmt::format("target '{}' row {}: missing value", target_, r + 1));
    }
    std::string owned;
    std::string_view v;
    if (col->type() == ColumnType::kCategorical) {
      v = col->str(r);
    } else {
      owned = col->ValueToString(r);
      v = owned;
    }
    auto it = index.find(v);
    if (it == index.end()) {
      return InvalidArgumentError(fmt::format("target '{}' row {}: class '{}' was not seen in training",
                                              target_, r + 1, v));
    }
    labels.y.push_back(static_cast<float>(it->second));
  }
  return labels;
}

}  // namespace mlpipe::data
