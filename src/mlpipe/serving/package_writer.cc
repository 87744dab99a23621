#include "mlpipe/serving/package_writer.h"

#include "mlpipe/data/schema.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/ml/model_package.h"

namespace mlpipe::serving {

StatusOr<std::string> WriteXgboostPackage(const data::Table& table, const data::TransformOptions& options,
                                          const ml::XgboostParams& params, const std::string& path,
                                          const std::string& created_by) {
  ASSIGN_OR_RETURN(data::Transform tr, data::Transform::Fit(table, options));
  ASSIGN_OR_RETURN(data::FeatureMatrix x, tr.Apply(table));
  ASSIGN_OR_RETURN(data::Labels y, tr.EncodeLabels(table));
  const ml::Task task = tr.task() == data::Task::kRegression ? ml::Task::kRegression
                        : tr.class_labels().size() == 2     ? ml::Task::kBinary
                                                            : ml::Task::kMulticlass;
  ASSIGN_OR_RETURN(auto model, ml::XgboostModel::Train(x, y, task, params));
  data::Schema schema = data::InferSchema(table);
  data::TableStats stats = data::ComputeStats(table);
  ml::ModelPackageContents c;
  c.task = task;
  c.transform = &tr;
  c.xgboost = model.get();
  c.schema = &schema;
  c.stats = &stats;
  c.created_by = created_by;
  RETURN_IF_ERROR(ml::SaveModelPackage(path, c));
  return path;
}

}  // namespace mlpipe::serving
