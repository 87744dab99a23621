// Test-only: small real model packages made with the ml API (no pipeline run).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/ml/model_package.h"
#include "mlpipe/serving/package_writer.h"

namespace mlpipe::serving::testing {

namespace fs = std::filesystem;

// 400 rows: id, x (numeric), color (categorical), label yes/no depending on
// both; `value` is a numeric target for regression packages.
inline std::string MakeCsv() {
  std::mt19937 rng(5);
  std::normal_distribution<double> normal(0, 1);
  const char* colors[] = {"red", "green", "blue"};
  std::string csv = "id,x,color,label,value\n";
  for (int i = 0; i < 400; ++i) {
    double x = normal(rng);
    int c = static_cast<int>(rng() % 3);
    bool yes = x + (c == 0 ? 1.0 : -0.5) + 0.3 * normal(rng) > 0;
    csv += fmt::format("{},{},{},{},{}\n", i, x, colors[c], yes ? "yes" : "no", 3 * x + c + 0.1 * normal(rng));
  }
  return csv;
}

inline data::Table TrainingTable() { return data::ReadCsvString(MakeCsv()).value(); }

// A fresh temp folder named after the running test.
inline std::string TestDir() {
  static int counter = 0;
  auto* info = ::testing::UnitTest::GetInstance()->current_test_info();  // null in SetUpTestSuite
  fs::path d = fs::temp_directory_path() /
               fmt::format("mlpipe_serving_{}_{}_{}", ::getpid(), info ? info->name() : "suite", ++counter);
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

// Saves an XGBoost package at dir/name: a binary classifier on label
// (regression on value if `regression`); `rounds` varies the model so two
// packages give different predictions.
inline std::string MakePackage(const std::string& dir, const std::string& name, int rounds = 10,
                               bool regression = false) {
  data::TransformOptions opt;
  opt.target = regression ? "value" : "label";
  opt.exclude = {"id", regression ? "label" : "value"};
  if (!regression) opt.positive_class = "yes";
  ml::XgboostParams p;
  p.rounds = rounds;
  p.nthread = 1;
  auto path = WriteXgboostPackage(TrainingTable(), opt, p, (fs::path(dir) / name).string(), "serving test");
  EXPECT_TRUE(path.ok()) << path.status().ToString();
  return path.ok() ? *path : "";
}

// A copy of `good` whose model file is garbage: loading fails with DataLoss.
inline std::string MakeBrokenPackage(const std::string& good, const std::string& dir, const std::string& name) {
  fs::path out = fs::path(dir) / name;
  fs::copy(good, out, fs::copy_options::recursive);
  std::ofstream(out / ml::kXgboostModelFile, std::ios::trunc) << "{garbage";
  return out.string();
}

}  // namespace mlpipe::serving::testing
