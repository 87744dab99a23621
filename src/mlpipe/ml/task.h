// Task and Predictions: what a model is asked to do and what it returns.
// Shared by every predictor (xgboost_model.h, linear_model.h), the metrics
// (metrics.h) and the model package (model_package.h).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/data/feature_matrix.h"

namespace mlpipe::ml {

enum class Task { kBinary, kMulticlass, kRegression };

// "binary", "multiclass", "regression".
const char* TaskName(Task task);
// Parses a TaskName; nullopt for anything else.
std::optional<Task> ParseTask(std::string_view name);

// Model outputs for `rows` rows.
//   classification: num_classes = k >= 2, values holds rows * k class
//     probabilities, row-major (binary models too: [p(class 0), p(class 1)]).
//   regression: num_classes = 0, values holds one value per row.
struct Predictions {
  size_t rows = 0;
  size_t num_classes = 0;
  std::vector<float> values;

  bool is_classification() const { return num_classes > 0; }
  float prob(size_t r, size_t c) const { return values[r * num_classes + c]; }
  // The most probable class index of row r (first on ties); classification only.
  size_t ArgMax(size_t r) const;
  // ArgMax of every row.
  std::vector<int> PredictedClasses() const;
};

// Labels fit `task`: regression targets are finite; classification labels
// are whole class indices in [0, k) with k == 2 (binary) or k >= 2
// (multiclass). InvalidArgument naming the first bad value otherwise.
Status CheckLabels(const data::Labels& y, Task task);

// A feature matrix a model with `num_features` inputs can predict on:
// InvalidArgument for another column count or values that are not rows * cols.
Status CheckFeatures(const data::FeatureMatrix& x, size_t num_features);

}  // namespace mlpipe::ml
