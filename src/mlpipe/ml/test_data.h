// Synthetic FeatureMatrix / Labels generators, a per-test folder and a way to run a built-in, for the ml
// tests (test-only).
#pragma once

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <ostream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "mlpipe/data/feature_matrix.h"
#include "mlpipe/ml/builtins.h"

namespace mlpipe::ml::testing {

// A new empty folder for the running test: <tmp>/<prefix><pid>_<test name>.
inline std::filesystem::path FreshTestDir(const std::string& prefix) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              (prefix + std::to_string(::getpid()) + "_" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// A fixture with dir_, a fresh folder per test, removed after it.
class TestDirFixture : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = FreshTestDir("mlpipe_ml_test_"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

// Runs built-in `name` as the engine would, its metrics appended to
// `metrics_path` and its log written to *log.
inline Status RunBuiltinWith(const std::string& name, std::map<std::string, std::string> inputs,
                             std::map<std::string, std::string> outputs, nlohmann::json params,
                             const std::string& metrics_path, std::ostream* log) {
  BuiltinInvocation inv;
  inv.name = name;
  inv.inputs = std::move(inputs);
  inv.outputs = std::move(outputs);
  inv.params = std::move(params);
  inv.metrics_path = metrics_path;
  inv.log = log;
  return RunBuiltin(inv);
}

struct Dataset {
  data::FeatureMatrix x;
  data::Labels y;
};

// rows x cols standard normal features. The label depends on the first two
// features: binary (k=2): x0 + x1 > 0 with `noise` flipped labels;
// multiclass (k>2): which of k angular sectors (x0, x1) falls in;
// regression (k=0): 3*x0 - 2*x1 + 0.5*x2^2 + noise.
inline Dataset MakeDataset(size_t rows, size_t cols, size_t k, uint32_t seed, double noise = 0.05) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  std::uniform_real_distribution<double> unit(0, 1);
  Dataset d;
  d.x.rows = rows;
  d.x.cols = cols;
  for (size_t c = 0; c < cols; ++c) d.x.feature_names.push_back("f" + std::to_string(c));
  for (size_t k2 = 0; k2 < k; ++k2) d.y.class_labels.push_back("c" + std::to_string(k2));
  d.x.values.resize(rows * cols);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) d.x.values[r * cols + c] = normal(rng);
    float x0 = d.x.values[r * cols], x1 = d.x.values[r * cols + 1], x2 = cols > 2 ? d.x.values[r * cols + 2] : 0;
    float label;
    if (k == 0) {
      label = 3 * x0 - 2 * x1 + 0.5f * x2 * x2 + static_cast<float>(noise) * normal(rng);
    } else if (k == 2) {
      label = x0 + x1 > 0 ? 1.0f : 0.0f;
      if (unit(rng) < noise) label = 1 - label;
    } else {
      double angle = std::atan2(x1, x0) + M_PI;  // [0, 2pi]
      label = static_cast<float>(std::min<size_t>(k - 1, static_cast<size_t>(angle / (2 * M_PI) * k)));
    }
    d.y.y.push_back(label);
  }
  return d;
}

}  // namespace mlpipe::ml::testing
