// Scoring a model package on test rows for `mlpipe ab`, the way the evaluate
// built-in does (ml/components/evaluate.cc): the CSV read with the column
// types of the package's inputs, the target column encoded as the package
// encodes it, then the package's predictions. Built-in and command packages
// alike (a command's workers run while the LoadedModel lives).
#pragma once

#include <string>

#include "mlpipe/base/status.h"
#include "mlpipe/engine/ab_compare.h"
#include "mlpipe/ml/model_package.h"

namespace mlpipe::engine {

// `model`'s answers on every row of the CSV at `csv_path`. `which` names the
// model in errors ("model A"). InvalidArgument for a missing target or
// feature column, an unconvertible value or a class the model does not know;
// a command package's errors as it returns them.
StatusOr<ScoredModel> ScoreModelOn(const ml::LoadedModel& model, const std::string& csv_path,
                                   const std::string& which);

// Two packages can be compared on the same rows when they answer the same
// question: the same task, the same target column and, for classification,
// the same set of class labels. InvalidArgument saying what differs.
Status CheckComparable(const ml::LoadedModel& a, const ml::LoadedModel& b);

}  // namespace mlpipe::engine
