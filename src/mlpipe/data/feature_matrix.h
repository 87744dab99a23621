// FeatureMatrix and Labels: the hand-off between data preparation (data/,
// which turns a table into numbers through a fitted transform) and models
// (ml/, which trains and predicts on numbers).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mlpipe::data {

// A dense row-major float matrix; NaN marks a missing value (XGBoost treats
// it as missing; linear models expect it imputed by the transform first).
struct FeatureMatrix {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<float> values;                // rows * cols, row-major
  std::vector<std::string> feature_names;   // cols names
  float at(size_t r, size_t c) const { return values[r * cols + c]; }
};

// Training targets. For classification, y holds the class index (0..k-1)
// into class_labels; for regression, the value, and class_labels is empty.
struct Labels {
  std::vector<float> y;
  std::vector<std::string> class_labels;
  bool is_classification() const { return !class_labels.empty(); }
};

}  // namespace mlpipe::data
