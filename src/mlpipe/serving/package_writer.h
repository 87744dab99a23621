// Test and benchmark support: a real model package made with the ml API, no
// pipeline run (the serving tests' fixture and mlpipe_serving_make_package).
#pragma once

#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/data/table.h"
#include "mlpipe/data/transform.h"
#include "mlpipe/ml/xgboost_model.h"

namespace mlpipe::serving {

// Fits a transform on `table`, trains XGBoost with the task the transform
// implies (regression, binary or multiclass) and saves the package, with the
// table's schema and statistics, at `path`. Returns `path`.
StatusOr<std::string> WriteXgboostPackage(const data::Table& table, const data::TransformOptions& options,
                                          const ml::XgboostParams& params, const std::string& path,
                                          const std::string& created_by);

}  // namespace mlpipe::serving
