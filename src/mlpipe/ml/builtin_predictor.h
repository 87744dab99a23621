// BuiltinPredictor: the package's fitted transform (the same code the
// pipeline trained with) in front of a built-in model, XGBoost or linear.
// Prepare applies the transform to each row (about a microsecond for 25
// columns); Run is one model call over the features of every part.
#pragma once

#include <memory>

#include "mlpipe/data/transform.h"
#include "mlpipe/ml/linear_model.h"
#include "mlpipe/ml/predictor.h"
#include "mlpipe/ml/xgboost_model.h"

namespace mlpipe::ml {

class BuiltinPredictor : public Predictor {
 public:
  // Exactly one of `xgboost` / `linear` is non-null; both must fit the
  // transform's features (checked by LoadModelPackage).
  BuiltinPredictor(std::unique_ptr<data::Transform> transform, std::unique_ptr<XgboostModel> xgboost,
                   std::unique_ptr<LinearModel> linear);

  const data::Transform& transform() const { return *transform_; }

  size_t num_outputs() const override { return num_outputs_; }
  // One XGBoost call costs about as much fixed work as a few hundred rows.
  size_t max_batch_rows() const override { return 1024; }
  // A prediction runs on one thread (LoadOptions::predict_threads in the
  // server): the request threads do the parsing and transforms around it.
  int max_concurrent_runs() const override { return 1; }
  StatusOr<std::unique_ptr<PreparedRows>> Prepare(const InputColumns& columns, size_t rows) const override;
  Status Run(std::span<const PreparedRows* const> parts, float* out) const override;
  // The whole table through the transform and one model call (all threads).
  StatusOr<Predictions> PredictTable(const data::Table& table,
                                     const std::vector<data::InputColumn>& inputs) const override;

 private:
  Status RunFeatures(const float* features, size_t rows, float* out) const;

  std::unique_ptr<data::Transform> transform_;
  std::unique_ptr<XgboostModel> xgboost_;
  std::unique_ptr<LinearModel> linear_;
  size_t num_features_;
  size_t num_outputs_;
};

}  // namespace mlpipe::ml
