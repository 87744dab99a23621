#include "mlpipe/ml/builtin_predictor.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace mlpipe::ml {
namespace {

// The transformed features of some rows, row-major.
class FeatureRows : public PreparedRows {
 public:
  FeatureRows(size_t rows, size_t num_features) : PreparedRows(rows), features(rows * num_features) {}
  std::vector<float> features;
};

}  // namespace

BuiltinPredictor::BuiltinPredictor(std::unique_ptr<data::Transform> transform,
                                   std::unique_ptr<XgboostModel> xgboost, std::unique_ptr<LinearModel> linear)
    : transform_(std::move(transform)),
      xgboost_(std::move(xgboost)),
      linear_(std::move(linear)),
      num_features_(transform_->num_features()),
      num_outputs_(xgboost_ ? xgboost_->num_outputs() : linear_->num_outputs()) {}

StatusOr<std::unique_ptr<PreparedRows>> BuiltinPredictor::Prepare(const InputColumns& columns,
                                                                  size_t rows) const {
  // The row is given by name; names are set once per thread and inputs.
  thread_local std::vector<std::pair<std::string, data::FieldValue>> row;
  thread_local std::vector<float> one;
  const auto& inputs = transform_->inputs();
  bool same = row.size() == inputs.size();
  for (size_t c = 0; same && c < inputs.size(); ++c) same = row[c].first == inputs[c].name;
  if (!same) {
    row.clear();
    for (const data::InputColumn& in : inputs) row.emplace_back(in.name, data::FieldValue());
  }
  if (columns.size() != inputs.size()) {
    return InvalidArgumentError(
        fmt::format("{} input columns given, the model takes {}", columns.size(), inputs.size()));
  }
  auto prepared = std::make_unique<FeatureRows>(rows, num_features_);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < inputs.size(); ++c) row[c].second = columns[c][r];
    Status s = transform_->ApplyRowInto(row, &one);
    if (!s.ok())
      return InvalidArgumentError(rows == 1 ? s.message() : fmt::format("row {}: {}", r, s.message()));
    std::copy(one.begin(), one.end(),
              prepared->features.begin() + static_cast<std::ptrdiff_t>(r * num_features_));
  }
  return std::unique_ptr<PreparedRows>(std::move(prepared));
}

Status BuiltinPredictor::RunFeatures(const float* features, size_t rows, float* out) const {
  if (xgboost_) return xgboost_->PredictRows(features, rows, out);
  for (size_t r = 0; r < rows; ++r) linear_->PredictRow(features + r * num_features_, out + r * num_outputs_);
  return OkStatus();
}

Status BuiltinPredictor::Run(std::span<const PreparedRows* const> parts, float* out) const {
  if (parts.size() == 1) {
    const auto& p = static_cast<const FeatureRows&>(*parts[0]);
    return RunFeatures(p.features.data(), p.rows(), out);
  }
  thread_local std::vector<float> joined;
  size_t rows = 0;
  for (const PreparedRows* p : parts) rows += p->rows();
  joined.resize(rows * num_features_);
  auto at = joined.begin();
  for (const PreparedRows* p : parts) {
    const auto& f = static_cast<const FeatureRows&>(*p).features;
    at = std::copy(f.begin(), f.end(), at);
  }
  return RunFeatures(joined.data(), rows, out);
}

StatusOr<Predictions> BuiltinPredictor::PredictTable(const data::Table& table,
                                                     const std::vector<data::InputColumn>&) const {
  ASSIGN_OR_RETURN(data::FeatureMatrix x, transform_->Apply(table));
  return xgboost_ ? xgboost_->Predict(x) : linear_->Predict(x);
}

}  // namespace mlpipe::ml
