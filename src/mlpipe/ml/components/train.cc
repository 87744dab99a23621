// Built-in `train`: train an XGBoost or linear model into a model package.
#include <fmt/format.h>

#include <chrono>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/schema.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/data/transform.h"
#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/components/param_check.h"
#include "mlpipe/ml/model_package.h"

namespace mlpipe::ml::components {

const char* const kTrainYaml = R"(component: train
description: Train an XGBoost or linear model on a prepared dataset; writes a self-contained model package.
builtin: train
inputs:
  train: dataset
  transform: transform
  valid: {type: dataset, optional: true}
outputs:
  model: model
params:
  target: {type: string, default: ""}
  model: {type: string, default: xgboost}
  task: {type: string, default: auto}
  positive_class: {type: string, default: ""}
  rounds: {type: int, default: 100}
  max_depth: {type: int, default: 6}
  eta: {type: float, default: 0.3}
  subsample: {type: float, default: 1.0}
  colsample_bytree: {type: float, default: 1.0}
  min_child_weight: {type: float, default: 1.0}
  lambda: {type: float, default: 1.0}
  alpha: {type: float, default: 0.0}
  tree_method: {type: string, default: hist}
  nthread: {type: int, default: 0}
  seed: {type: int, default: 0}
  early_stopping_rounds: {type: int, default: 0}
  C: {type: float, default: 1.0}
  max_iter: {type: int, default: 1000}
  ridge_alpha: {type: float, default: 1.0}
)";

void CheckTrainParams(ParamCheck& c) {
  c.OneOf("model", {"xgboost", "linear"});
  c.OneOf("task", {"auto", "classification", "binary", "multiclass", "regression"});
  c.OneOf("tree_method", {"auto", "exact", "approx", "hist", "gpu_hist"});
  c.AtLeast("rounds", 1);
  c.AtLeast("max_depth", 0);
  c.Positive("eta");
  c.InRange("subsample", {0.0, 1.0, true});
  c.InRange("colsample_bytree", {0.0, 1.0, true});
  for (const char* name : {"min_child_weight", "lambda", "alpha", "ridge_alpha"}) c.AtLeast(name, 0);
  c.AtLeast("nthread", 0);
  c.AtLeast("early_stopping_rounds", 0);
  c.Positive("C");
  c.InRange("max_iter", {1.0, 1e7});
  const auto task = c.String("task"), positive = c.String("positive_class");
  const bool has_positive = positive && !positive->empty();
  if (has_positive && (task == "regression" || task == "multiclass")) {
    c.Fail("positive_class",
           fmt::format("positive_class '{}' names the positive class of a binary target, but task is {}",
                       *positive, *task),
           "remove positive_class, or task");
  }
  // The transform fits the task and the classes; train only checks them.
  const BuiltinUpstream* t = c.Upstream("transform", "transform");
  if (t == nullptr) return;
  const auto target = c.String("target"), t_target = ParamCheck::StringIn(t->params, "target");
  if (target && !target->empty() && t_target && *t_target != *target) {
    c.Fail(
        "target",
        fmt::format("target '{}' differs from '{}' of the transform step '{}'", *target, *t_target, t->step),
        "the transform's target is the one trained on; remove target here or make them equal");
  }
  const auto t_task = ParamCheck::StringIn(t->params, "task");
  const auto t_positive = ParamCheck::StringIn(t->params, "positive_class");
  if (has_positive && t_positive && *t_positive != *positive) {
    c.Fail("positive_class",
           t_positive->empty()
               ? fmt::format(
                     "positive_class '{}' is set here but not on the transform step '{}', which decides the "
                     "task and the classes",
                     *positive, t->step)
               : fmt::format("positive_class '{}' differs from '{}' of the transform step '{}'", *positive,
                             *t_positive, t->step),
           fmt::format("set positive_class: \"{}\" on step '{}' (train's positive_class only checks it)",
                       *positive, t->step));
  }
  const bool classification = task == "classification" || task == "binary" || task == "multiclass";
  if (classification && t_task == "regression") {
    c.Fail("task",
           fmt::format("task {} needs classes, but the transform step '{}' has task: regression", *task,
                       t->step),
           fmt::format("set task: classification on step '{}'", t->step));
  }
  if (task == "regression" && (t_task == "classification" || t_task == "binary" || t_task == "multiclass" ||
                               (t_positive && !t_positive->empty()))) {
    c.Fail("task", fmt::format("task regression, but the transform step '{}' fits a classification", t->step),
           fmt::format("remove task here, or set task: regression on step '{}'", t->step));
  }
}

namespace {

// CSV options that read columns with the types the transform was fitted on.
data::CsvOptions TypesOf(const data::Transform& t) {
  data::CsvOptions csv;
  for (const data::InputColumn& c : t.inputs()) csv.column_types[c.name] = c.type;
  return csv;
}

}  // namespace

StatusOr<data::Table> ReadForTransform(const std::string& input_name, const std::string& path,
                                       const data::Transform& t) {
  return ReadTable(input_name, path, TypesOf(t));
}

Status RunTrain(const BuiltinInvocation& inv) {
  ASSIGN_OR_RETURN(std::string train_path, Input(inv, "train"));
  ASSIGN_OR_RETURN(std::string transform_path, Input(inv, "transform"));
  std::optional<std::string> valid_path = OptionalInput(inv, "valid");
  ASSIGN_OR_RETURN(std::string out, Output(inv, "model"));
  ASSIGN_OR_RETURN(std::string target, ParamString(inv, "target", ""));
  ASSIGN_OR_RETURN(std::string model_kind, ParamString(inv, "model", "xgboost"));
  ASSIGN_OR_RETURN(std::string task_name, ParamString(inv, "task", "auto"));
  ASSIGN_OR_RETURN(std::string positive_class, ParamString(inv, "positive_class", ""));
  XgboostParams xp;
  int64_t v = 0;
  ASSIGN_OR_RETURN(v, ParamInt(inv, "rounds", 100));
  xp.rounds = static_cast<int>(v);
  ASSIGN_OR_RETURN(v, ParamInt(inv, "max_depth", 6));
  xp.max_depth = static_cast<int>(v);
  ASSIGN_OR_RETURN(xp.eta, ParamFloat(inv, "eta", 0.3));
  ASSIGN_OR_RETURN(xp.subsample, ParamFloat(inv, "subsample", 1.0));
  ASSIGN_OR_RETURN(xp.colsample_bytree, ParamFloat(inv, "colsample_bytree", 1.0));
  ASSIGN_OR_RETURN(xp.min_child_weight, ParamFloat(inv, "min_child_weight", 1.0));
  ASSIGN_OR_RETURN(xp.lambda, ParamFloat(inv, "lambda", 1.0));
  ASSIGN_OR_RETURN(xp.alpha, ParamFloat(inv, "alpha", 0.0));
  ASSIGN_OR_RETURN(xp.tree_method, ParamString(inv, "tree_method", "hist"));
  ASSIGN_OR_RETURN(v, ParamInt(inv, "nthread", 0));
  xp.nthread = static_cast<int>(v);
  ASSIGN_OR_RETURN(v, ParamInt(inv, "seed", 0));
  xp.seed = static_cast<uint64_t>(v);
  ASSIGN_OR_RETURN(v, ParamInt(inv, "early_stopping_rounds", 0));
  xp.early_stopping_rounds = static_cast<int>(v);
  LinearParams lp;
  ASSIGN_OR_RETURN(lp.c, ParamFloat(inv, "C", 1.0));
  ASSIGN_OR_RETURN(lp.alpha, ParamFloat(inv, "ridge_alpha", 1.0));
  ASSIGN_OR_RETURN(v, ParamInt(inv, "max_iter", 1000));
  lp.max_iterations = static_cast<int>(v);
  if (xp.early_stopping_rounds > 0 && !valid_path) {
    return InvalidArgumentError("param 'early_stopping_rounds' needs the input 'valid' (a validation set)");
  }

  auto transform = data::Transform::Load(transform_path);
  if (!transform.ok()) return transform.status().WithContext("input 'transform'");
  const data::Transform& tf = *transform;
  if (tf.target().empty()) {
    return InvalidArgumentError("the transform has no target column; set param 'target' on the transform step");
  }
  if (!target.empty() && target != tf.target()) {
    return InvalidArgumentError(fmt::format("param target '{}' differs from the transform's target '{}'", target,
                                            tf.target()));
  }
  ASSIGN_OR_RETURN(data::Table train, ReadForTransform("train", train_path, tf));
  RETURN_IF_ERROR(RequireColumn(train, tf.target(), "target column", "train"));

  Task task;
  const size_t k = tf.class_labels().size();
  if (!tf.task_reason().empty()) {
    Log(inv) << fmt::format("task: {} (from the transform: {})\n", data::TaskName(tf.task()),
                            tf.task_reason());
  }
  if (tf.task() == data::Task::kRegression) {
    const std::string why = tf.task_reason().empty() ? "" : fmt::format(" ({})", tf.task_reason());
    if (task_name != "auto" && task_name != "regression") {
      return InvalidArgumentError(fmt::format(
          "param task '{}' needs classes, but the transform fitted target '{}' as a regression{}; set task: "
          "classification (or positive_class) on the transform step",
          task_name, tf.target(), why));
    }
    if (!positive_class.empty()) {
      return InvalidArgumentError(
          fmt::format("positive_class '{}' is set, but the transform fitted target '{}' as a regression{}; "
                      "set positive_class: "
                      "\"{}\" on the transform step",
                      positive_class, tf.target(), why, positive_class));
    }
    task = Task::kRegression;
  } else {
    task = k == 2 ? Task::kBinary : Task::kMulticlass;
    if (task_name != "auto" && task_name != "classification" && task_name != TaskName(task)) {
      return InvalidArgumentError(fmt::format("param task '{}' does not fit the target: {} classes ({})", task_name, k,
                                              Join(tf.class_labels(), ", ")));
    }
  }
  if (!positive_class.empty() && task == Task::kMulticlass) {
    return InvalidArgumentError(
        fmt::format("positive_class '{}' is for a binary target, but '{}' has {} classes ({})",
                    positive_class, tf.target(), k, Join(tf.class_labels(), ", ")));
  }
  if (!positive_class.empty() && task == Task::kBinary && tf.class_labels()[1] != positive_class) {
    return InvalidArgumentError(
        fmt::format("positive_class '{}' differs from the transform's positive class '{}'; set "
                    "positive_class on the transform step",
                    positive_class, tf.class_labels()[1]));
  }

  auto start = std::chrono::steady_clock::now();
  auto x = tf.Apply(train);
  if (!x.ok()) return x.status().WithContext("input 'train'");
  auto y = tf.EncodeLabels(train);
  if (!y.ok()) return y.status().WithContext("input 'train'");
  std::optional<data::FeatureMatrix> vx;
  std::optional<data::Labels> vy;
  if (valid_path) {
    ASSIGN_OR_RETURN(data::Table valid, ReadForTransform("valid", *valid_path, tf));
    auto a = tf.Apply(valid);
    if (!a.ok()) return a.status().WithContext("input 'valid'");
    auto b = tf.EncodeLabels(valid);
    if (!b.ok()) return b.status().WithContext("input 'valid'");
    vx = std::move(a).value();
    vy = std::move(b).value();
  }

  MetricsWriter metrics(inv);
  ModelPackageContents contents;
  contents.task = task;
  contents.transform = &tf;
  contents.created_by = fmt::format("mlpipe builtin train (v{})", kBuiltinsVersion);
  nlohmann::json training = {{"model", model_kind}, {"rows", train.num_rows()}, {"num_features", x->cols}};
  std::unique_ptr<XgboostModel> xgb;
  std::unique_ptr<LinearModel> lin;
  if (model_kind == "xgboost") {
    TrainSummary summary;
    auto m = XgboostModel::Train(*x, *y, task, xp, vx ? &*vx : nullptr, vy ? &*vy : nullptr, &summary);
    if (!m.ok()) return m.status().WithContext("training xgboost");
    xgb = std::move(m).value();
    contents.xgboost = xgb.get();
    for (const Curve& c : summary.curves) {
      for (size_t i = 0; i < c.values.size(); ++i) RETURN_IF_ERROR(metrics.Record(c.name, c.values[i], i));
    }
    RETURN_IF_ERROR(metrics.Record("rounds_trained", summary.rounds_trained));
    if (summary.best_round >= 0) RETURN_IF_ERROR(metrics.Record("best_round", summary.best_round));
    training["params"] = {{"rounds", xp.rounds},         {"max_depth", xp.max_depth},
                          {"eta", xp.eta},               {"subsample", xp.subsample},
                          {"colsample_bytree", xp.colsample_bytree}, {"min_child_weight", xp.min_child_weight},
                          {"lambda", xp.lambda},         {"alpha", xp.alpha},
                          {"tree_method", xp.tree_method}, {"seed", xp.seed},
                          {"early_stopping_rounds", xp.early_stopping_rounds}};
    training["rounds_trained"] = summary.rounds_trained;
    RETURN_IF_ERROR(metrics.Record("fit_seconds", summary.train_seconds));  // XGBoost's own fit
    training["best_round"] = summary.best_round;
  } else {
    auto m = LinearModel::Train(*x, *y, task, lp);
    if (!m.ok()) return m.status().WithContext("training the linear model");
    lin = std::move(m).value();
    contents.linear = lin.get();
    training["params"] = {{"C", lp.c}, {"ridge_alpha", lp.alpha}, {"max_iter", lp.max_iterations}};
    RETURN_IF_ERROR(metrics.Record("iterations", lin->iterations()));
    if (task != Task::kRegression) {
      RETURN_IF_ERROR(metrics.Record("converged", lin->converged() ? 1 : 0));
      if (!lin->converged()) {
        Log(inv) << fmt::format("warning: L-BFGS stopped at max_iter {} before converging; raise max_iter\n",
                                lp.max_iterations);
      }
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Timings are metrics, never package content: the same data, params and
  // seed give a byte-identical package (one digest, one version).
  RETURN_IF_ERROR(metrics.Record("train_seconds", seconds));
  RETURN_IF_ERROR(metrics.Record("train_rows", static_cast<double>(train.num_rows())));
  data::Schema schema = data::InferSchema(train);
  data::TableStats stats = data::ComputeStats(train);
  contents.schema = &schema;
  contents.stats = &stats;
  contents.training = training;
  RETURN_IF_ERROR(SaveModelPackage(out, contents));
  Log(inv) << fmt::format("trained {} ({}) on {} rows x {} features in {:.2f}s\n", model_kind, TaskName(task),
                          train.num_rows(), x->cols, seconds);
  return OkStatus();
}

}  // namespace mlpipe::ml::components
