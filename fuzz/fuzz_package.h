// The model package the serving fuzz targets serve: a small XGBoost
// classifier on a numeric feature `x` and a categorical one `color`
// (label yes/no), trained once when a target starts. Aborts if it cannot be
// made: a fuzz target without its model tests nothing.
#pragma once

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "mlpipe/data/csv.h"
#include "mlpipe/serving/package_writer.h"

namespace mlpipe::fuzzing {

// Writes the package under a fresh folder of the temp dir named after
// `target` and this process; returns the package's path.
inline std::string MakeFuzzPackage(const std::string& target) {
  std::string csv = "x,color,label\n";
  const char* colors[] = {"red", "green", "blue"};
  for (int i = 0; i < 60; ++i)
    csv += fmt::format("{},{},{}\n", (i % 7) - 3, colors[i % 3], i % 2 ? "yes" : "no");
  auto table = data::ReadCsvString(csv);
  if (!table.ok()) std::abort();
  data::TransformOptions transform;
  transform.target = "label";
  transform.positive_class = "yes";
  ml::XgboostParams params;
  params.rounds = 3;
  params.nthread = 1;
  const std::string dir =
      fmt::format("{}/mlpipe_{}_{}", std::filesystem::temp_directory_path().string(), target, getpid());
  std::filesystem::remove_all(dir);
  auto path = serving::WriteXgboostPackage(*table, transform, params, dir + "/pkg", target);
  if (!path.ok()) std::abort();
  return *path;
}

}  // namespace mlpipe::fuzzing
