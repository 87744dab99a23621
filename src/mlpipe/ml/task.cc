#include "mlpipe/ml/task.h"

#include <cmath>

#include <fmt/format.h>

namespace mlpipe::ml {

const char* TaskName(Task task) {
  switch (task) {
    case Task::kBinary: return "binary";
    case Task::kMulticlass: return "multiclass";
    case Task::kRegression: return "regression";
  }
  return "unknown";
}

std::optional<Task> ParseTask(std::string_view name) {
  if (name == "binary") return Task::kBinary;
  if (name == "multiclass") return Task::kMulticlass;
  if (name == "regression") return Task::kRegression;
  return std::nullopt;
}

size_t Predictions::ArgMax(size_t r) const {
  size_t best = 0;
  for (size_t c = 1; c < num_classes; ++c) {
    if (prob(r, c) > prob(r, best)) best = c;
  }
  return best;
}

std::vector<int> Predictions::PredictedClasses() const {
  std::vector<int> out(rows);
  for (size_t r = 0; r < rows; ++r) out[r] = static_cast<int>(ArgMax(r));
  return out;
}

Status CheckFeatures(const data::FeatureMatrix& x, size_t num_features) {
  if (x.cols != num_features) {
    return InvalidArgumentError(fmt::format("model expects {} features, got {}", num_features, x.cols));
  }
  if (x.values.size() != x.rows * x.cols) return InvalidArgumentError("feature matrix size is not rows*cols");
  return OkStatus();
}

Status CheckLabels(const data::Labels& y, Task task) {
  if (task == Task::kRegression) {
    for (float v : y.y) {
      if (!std::isfinite(v)) return InvalidArgumentError("regression target has a missing or infinite value");
    }
    return OkStatus();
  }
  const size_t k = y.class_labels.size();
  if (task == Task::kBinary && k != 2) {
    return InvalidArgumentError(fmt::format("binary task needs exactly 2 classes, got {}", k));
  }
  if (task == Task::kMulticlass && k < 2) {
    return InvalidArgumentError(fmt::format("multiclass task needs at least 2 classes, got {}", k));
  }
  for (float v : y.y) {
    if (!(v >= 0 && v < static_cast<float>(k)) || v != std::floor(v)) {
      return InvalidArgumentError(fmt::format("label {} is not a class index in [0, {})", v, k));
    }
  }
  return OkStatus();
}

}  // namespace mlpipe::ml
