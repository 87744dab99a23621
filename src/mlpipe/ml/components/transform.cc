// Built-in `transform`: fit the preprocessing on the training set.
#include <fmt/format.h>

#include "mlpipe/data/transform.h"
#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/components/param_check.h"

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
  categorical_impute: {type: string, default: missing_category}
  date_columns: {type: list, default: []}
  feature_order: {type: string, default: input}
)";

void CheckTransformParams(ParamCheck& c) {
  // The train step's task names are accepted too.
  c.OneOf("task", {"auto", "classification", "regression", "binary", "multiclass"});
  c.OneOf("numeric_impute", {"median", "mean", "none"});
  c.OneOf("categorical_impute", {"missing_category", "most_frequent"});
  c.OneOf("feature_order", {"input", "numeric_first"});
  c.AtLeast("max_categories", 0);
  const auto task = c.String("task"), positive = c.String("positive_class"), target = c.String("target");
  if (positive && !positive->empty()) {
    if (task == "regression" || task == "multiclass") {
      c.Fail("positive_class",
             fmt::format("positive_class '{}' names the positive class of a binary target, but task is {}",
                         *positive, *task),
             "remove positive_class, or set task: classification (or auto)");
    }
    if (target == "") c.Fail("positive_class", "positive_class needs a target", "add target: COLUMN");
  }
  if (task && *task != "auto" && target == "") c.Fail("task", "task needs a target", "add target: COLUMN");
}

Status RunTransform(const BuiltinInvocation& inv) {
  ASSIGN_OR_RETURN(std::string in, Input(inv, "train"));
  ASSIGN_OR_RETURN(std::string out, Output(inv, "transform"));
  data::TransformOptions opt;
  ASSIGN_OR_RETURN(opt.target, ParamString(inv, "target", ""));
  ASSIGN_OR_RETURN(std::string task, ParamString(inv, "task", "auto"));
  if (task == "binary" || task == "multiclass") task = "classification";
  ASSIGN_OR_RETURN(opt.task, data::ParseTask(task));
  ASSIGN_OR_RETURN(opt.positive_class, ParamString(inv, "positive_class", ""));
  ASSIGN_OR_RETURN(opt.exclude, ParamList(inv, "exclude"));
  ASSIGN_OR_RETURN(opt.standardize, ParamBool(inv, "standardize", false));
  ASSIGN_OR_RETURN(int64_t max_categories, ParamInt(inv, "max_categories", 0));
  opt.max_categories = static_cast<size_t>(max_categories);
  ASSIGN_OR_RETURN(std::string impute, ParamString(inv, "numeric_impute", "median"));
  opt.numeric_impute = impute == "mean"   ? data::NumericImpute::kMean
                       : impute == "none" ? data::NumericImpute::kNone
                                          : data::NumericImpute::kMedian;
  ASSIGN_OR_RETURN(std::string categorical_impute,
                   ParamString(inv, "categorical_impute", "missing_category"));
  ASSIGN_OR_RETURN(opt.categorical_impute, data::ParseCategoricalImpute(categorical_impute));
  ASSIGN_OR_RETURN(std::string feature_order, ParamString(inv, "feature_order", "input"));
  ASSIGN_OR_RETURN(opt.feature_order, data::ParseFeatureOrder(feature_order));
  ASSIGN_OR_RETURN(std::vector<std::string> date_columns, ParamList(inv, "date_columns"));
  data::CsvOptions csv;
  for (const std::string& c : date_columns) csv.column_types[c] = data::ColumnType::kDate;
  ASSIGN_OR_RETURN(data::Table table, ReadTable("train", in, csv));
  for (const std::string& c : date_columns) RETURN_IF_ERROR(RequireColumn(table, c, "date column", "train"));
  if (!opt.target.empty()) RETURN_IF_ERROR(RequireColumn(table, opt.target, "target column", "train"));
  for (const std::string& c : opt.exclude)
    RETURN_IF_ERROR(RequireColumn(table, c, "excluded column", "train"));
  if (!opt.target.empty()) {
    // The task decision comes first in the step's log, a guess as a warning.
    auto choice = data::ChooseTask(*table.Find(opt.target), opt);
    if (choice.ok() && choice->ambiguous) Log(inv) << "warning: " << choice->reason << "\n";
    if (choice.ok() && !choice->ambiguous) {
      Log(inv) << fmt::format("task: {} ({})\n", data::TaskName(choice->task), choice->reason);
    }
  }
  auto fitted = data::Transform::Fit(table, opt);
  if (!fitted.ok()) return fitted.status().WithContext("fitting the transform");
  RETURN_IF_ERROR(fitted->Save(out));
  Log(inv) << fmt::format(
      "transform: {} input columns -> {} features ({} order){}\n", fitted->inputs().size(),
      fitted->num_features(), feature_order,
      opt.target.empty() ? ""
                         : fmt::format(", target '{}' ({})", opt.target, data::TaskName(fitted->task())));
  MetricsWriter metrics(inv);
  RETURN_IF_ERROR(metrics.Record("num_features", static_cast<double>(fitted->num_features())));
  return OkStatus();
}

}  // namespace mlpipe::ml::components
