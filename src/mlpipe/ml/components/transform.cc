// Built-in `transform`: fit the preprocessing on the training set.
#include <fmt/format.h>

#include "mlpipe/data/transform.h"
#include "mlpipe/ml/components/common.h"

namespace mlpipe::ml::components {

const char* const kTransformYaml = R"(component: transform
description: Fit the preprocessing (imputation, one-hot encoding, date features, optional standardisation) on the training set.
builtin: transform
inputs:
  train: dataset
outputs:
  transform: transform
params:
  target: {type: string, default: ""}
  task: {type: string, default: auto}
  positive_class: {type: string, default: ""}
  exclude: {type: list, default: []}
  standardize: {type: bool, default: false}
  max_categories: {type: int, default: 0}
  numeric_impute: {type: string, default: median}
  date_columns: {type: list, default: []}
)";

Status RunTransform(const BuiltinInvocation& inv) {
  ASSIGN_OR_RETURN(std::string in, Input(inv, "train"));
  ASSIGN_OR_RETURN(std::string out, Output(inv, "transform"));
  data::TransformOptions opt;
  ASSIGN_OR_RETURN(opt.target, ParamString(inv, "target", ""));
  ASSIGN_OR_RETURN(std::string task, ParamString(inv, "task", "auto"));
  // The train step's task names are accepted too.
  if (task == "binary" || task == "multiclass") task = "classification";
  auto t = data::ParseTask(task);
  if (!t.ok()) return InvalidArgumentError(fmt::format("param 'task': {}", t.status().message()));
  opt.task = *t;
  ASSIGN_OR_RETURN(opt.positive_class, ParamString(inv, "positive_class", ""));
  ASSIGN_OR_RETURN(opt.exclude, ParamList(inv, "exclude"));
  ASSIGN_OR_RETURN(opt.standardize, ParamBool(inv, "standardize", false));
  ASSIGN_OR_RETURN(int64_t max_categories, ParamInt(inv, "max_categories", 0));
  if (max_categories < 0) return InvalidArgumentError("param 'max_categories' must be >= 0");
  opt.max_categories = static_cast<size_t>(max_categories);
  ASSIGN_OR_RETURN(std::string impute, ParamString(inv, "numeric_impute", "median"));
  if (impute == "median") {
    opt.numeric_impute = data::NumericImpute::kMedian;
  } else if (impute == "mean") {
    opt.numeric_impute = data::NumericImpute::kMean;
  } else if (impute == "none") {
    opt.numeric_impute = data::NumericImpute::kNone;
  } else {
    return InvalidArgumentError(fmt::format("param 'numeric_impute' must be median, mean or none, got '{}'", impute));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> date_columns, ParamList(inv, "date_columns"));
  data::CsvOptions csv;
  for (const std::string& c : date_columns) csv.column_types[c] = data::ColumnType::kDate;
  ASSIGN_OR_RETURN(data::Table table, ReadTable("train", in, csv));
  for (const std::string& c : date_columns) RETURN_IF_ERROR(RequireColumn(table, c, "date column", "train"));
  if (!opt.target.empty()) RETURN_IF_ERROR(RequireColumn(table, opt.target, "target column", "train"));
  for (const std::string& c : opt.exclude) RETURN_IF_ERROR(RequireColumn(table, c, "excluded column", "train"));
  auto fitted = data::Transform::Fit(table, opt);
  if (!fitted.ok()) return fitted.status().WithContext("fitting the transform");
  RETURN_IF_ERROR(fitted->Save(out));
  Log(inv) << fmt::format("transform: {} input columns -> {} features{}\n", fitted->inputs().size(),
                          fitted->num_features(),
                          opt.target.empty() ? "" : fmt::format(", target '{}' ({})", opt.target,
                                                                data::TaskName(fitted->task())));
  MetricsWriter metrics(inv);
  RETURN_IF_ERROR(metrics.Record("num_features", static_cast<double>(fitted->num_features())));
  return OkStatus();
}

}  // namespace mlpipe::ml::components
