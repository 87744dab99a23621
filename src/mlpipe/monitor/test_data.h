// Test helper: the lending_club example's training data as live traffic
// would carry it (no label column), with its reference statistics (label
// included, as a model package's stats.json has them).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/stats.h"

namespace mlpipe::monitor::testing {

struct TrainingData {
  data::Table features;
  data::TableStats reference;
};

// Fails the current test (ADD_FAILURE) and returns empty tables when the
// example's CSV cannot be read.
inline TrainingData LendingClubTraining() {
  TrainingData t;
  auto table = data::ReadCsv(std::string(MLPIPE_SOURCE_DIR) + "/examples/lending_club/data/loans.csv");
  if (!table.ok()) {
    ADD_FAILURE() << table.status().message();
    return t;
  }
  t.reference = data::ComputeStats(*table);
  if (!table->RemoveColumn("Class").ok()) ADD_FAILURE() << "loans.csv has no Class column";
  t.features = std::move(*table);
  return t;
}

}  // namespace mlpipe::monitor::testing
