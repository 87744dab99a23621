#include "mlpipe/ml/task.h"

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

}  // namespace mlpipe::ml
