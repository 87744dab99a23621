// Transform: the preprocessing that turns a Table into a FeatureMatrix (and
// the target column into Labels). It is FITTED ON TRAINING DATA ONLY and then
// applied, unchanged, to any table: train, test, or one serving request. The
// fitted transform is an artifact (JSON); the model server loads it and calls
// ApplyRow, the same code the pipeline trained with: no training/serving skew.
//
// Features, in the order of the training table's columns (target and
// `exclude` columns skipped), or with FeatureOrder::kNumericFirst the numeric
// columns first, then the date columns, then the categorical ones (each group
// in table order):
//   numeric column x      -> "x": the value; missing -> imputed (median or mean
//                            of train, per `numeric_impute`), optionally
//                            standardised ((v - mean) / std of train).
//   categorical column c  -> one-hot "c=VALUE" per category seen in train,
//                            in sorted order; with `max_categories` N > 0 only
//                            the N most frequent (ties: by string) keep their
//                            own column and the rest share "c=__other__".
//                            Missing: kMissingCategory -> "c=__missing__"
//                            (added only if train had missing values; else
//                            all zeros); kMostFrequent -> as the train mode.
//                            A category unseen in train -> all zeros (or
//                            "c=__other__" when it exists), counted in
//                            ApplyReport::unknown_categories.
//   date column d         -> "d.year", "d.month" (1-12), "d.day_of_week"
//                            (0 = Monday), "d.day_of_year" (1-366); missing ->
//                            imputed like numbers; standardised like numbers.
// Input tables are matched by column NAME (order and extra columns do not
// matter). A value of the wrong type is converted where it is unambiguous: a
// number or date given as text is parsed, a number given for a categorical
// column is looked up by its text ("3"). Anything else is InvalidArgument
// naming the column (and row).
//
// Task (ChooseTask): task classification or regression as given; with
// kAuto a categorical (or date) target is classification, a numeric target
// with a positive_class is classification (its classes are its values as
// text: "0", "1"), and any other numeric target is regression. A numeric
// target with at most 10 distinct whole values under kAuto is a guess worth
// confirming: TaskChoice::ambiguous, and the reason says how to choose the
// other task.
//
// Labels (EncodeLabels): classification -> y = class index into class_labels,
// the train classes sorted (a numeric target's by value, others as strings),
// except that for a binary task a given `positive_class` becomes index 1;
// regression -> y = the value. A missing target or a class unseen in train
// is InvalidArgument.
//
// Thread-safety: a fitted Transform is immutable; all const methods may be
// called concurrently (the server does, per request).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"
#include "mlpipe/data/feature_matrix.h"
#include "mlpipe/data/table.h"

namespace mlpipe::data {

enum class Task { kAuto, kClassification, kRegression };
const char* TaskName(Task task);               // "auto", "classification", "regression"
StatusOr<Task> ParseTask(std::string_view name);

enum class NumericImpute { kMedian, kMean, kNone };       // kNone: NaN stays (XGBoost handles it)
enum class CategoricalImpute { kMissingCategory, kMostFrequent };
const char* CategoricalImputeName(CategoricalImpute v);  // "missing_category", "most_frequent"
StatusOr<CategoricalImpute> ParseCategoricalImpute(std::string_view name);

// The order of the features (see the file comment). kNumericFirst lays them
// out as scikit-learn's ColumnTransformer([("num", ..., numeric_columns),
// ("cat", OneHotEncoder(), categorical_columns)]) does, which matters when
// comparing with such a model: XGBoost's `hist` breaks ties between equally
// good splits by the lower feature index.
enum class FeatureOrder { kInput, kNumericFirst };
const char* FeatureOrderName(FeatureOrder order);  // "input", "numeric_first"
StatusOr<FeatureOrder> ParseFeatureOrder(std::string_view name);

struct TransformOptions {
  // Target column; "" = no target (every column is a feature, EncodeLabels
  // fails). Fit: NotFound if named but absent.
  std::string target;
  // Columns that are neither features nor target (ids, timestamps). Default none.
  std::vector<std::string> exclude;
  // kAuto: see ChooseTask. A numeric target with kClassification uses its
  // text form ("0", "1").
  Task task = Task::kAuto;
  // Binary classification: this class becomes index 1, and a numeric target
  // is a classification. Must occur in train, and the target must have two
  // classes (InvalidArgument otherwise). Default "": sorted order.
  std::string positive_class;
  NumericImpute numeric_impute = NumericImpute::kMedian;
  CategoricalImpute categorical_impute = CategoricalImpute::kMissingCategory;
  // (v - mean) / std for numeric and date features. Default off (trees);
  // turn on for linear models.
  bool standardize = false;
  // Keep at most this many categories per column; 0 = all. Default 0.
  size_t max_categories = 0;
  FeatureOrder feature_order = FeatureOrder::kInput;
};

// The task Fit takes for `target` under `options`, and why, in words for the
// transform step's first line.
struct TaskChoice {
  Task task = Task::kRegression;  // never kAuto
  // Why: "target 'y' is categorical", "task: regression was given", ...; when
  // ambiguous, the whole decision and how to choose the other task.
  std::string reason;
  bool ambiguous = false;
};
// InvalidArgument for what cannot be: regression of a categorical target,
// a positive_class with task regression.
StatusOr<TaskChoice> ChooseTask(const Column& target, const TransformOptions& options);

// Counts from one Apply/ApplyRow call, for monitoring.
struct ApplyReport {
  // Per categorical column name: values not seen in train (mapped to all zeros
  // or __other__). Only columns with a count > 0 appear.
  std::map<std::string, size_t> unknown_categories;
  size_t imputed_values = 0;  // missing numeric/date values replaced
};

// How one input column of the training table is used.
struct InputColumn {
  std::string name;
  ColumnType type = ColumnType::kNumeric;
};

class Transform {
 public:
  // Fits on `train`. Errors: NotFound (target/exclude column absent, with a
  // did-you-mean), InvalidArgument (empty table, positive_class not a class
  // or the target not binary, what ChooseTask refuses, missing target
  // values).
  static StatusOr<Transform> Fit(const Table& train, const TransformOptions& options);

  // Features for every row of `table`. `report` (optional) receives counts.
  // Errors: InvalidArgument for a missing input column or an unconvertible value.
  StatusOr<FeatureMatrix> Apply(const Table& table, ApplyReport* report = nullptr) const;

  // Features of one row given by column name (order free; unknown names
  // ignored; a feature column not given = missing). Writes num_features()
  // floats into `out` (resized). Cheap: no table is built (about a
  // microsecond for 25 columns).
  Status ApplyRowInto(const std::vector<std::pair<std::string, FieldValue>>& row,
                      std::vector<float>* out, ApplyReport* report = nullptr) const;
  // Same, as a 1-row FeatureMatrix.
  StatusOr<FeatureMatrix> ApplyRow(const std::vector<std::pair<std::string, FieldValue>>& row,
                                   ApplyReport* report = nullptr) const;

  // The target column of `table` encoded as fitted. Errors: FailedPrecondition
  // if the transform has no target; InvalidArgument if the column is absent,
  // has a missing value or a class unseen in train.
  StatusOr<Labels> EncodeLabels(const Table& table) const;

  // Inverse of the label encoding: class name of index i ("" if out of range).
  std::string ClassLabel(size_t index) const;

  const std::vector<std::string>& feature_names() const { return feature_names_; }
  size_t num_features() const { return feature_names_.size(); }
  const std::vector<InputColumn>& inputs() const { return inputs_; }
  const std::string& target() const { return target_; }
  // kClassification or kRegression after Fit (never kAuto).
  Task task() const { return task_; }
  // Why (TaskChoice::reason); "" for a transform saved without it.
  const std::string& task_reason() const { return task_reason_; }
  const std::vector<std::string>& class_labels() const { return class_labels_; }
  const TransformOptions& options() const { return options_; }

  // JSON artifact form ({"format": "mlpipe.transform", "version": 1, ...}).
  nlohmann::json ToJson() const;
  // InvalidArgument (with the offending key) for a malformed document.
  static StatusOr<Transform> FromJson(const nlohmann::json& j);
  // File form (pretty JSON; written to PATH.tmp then renamed).
  Status Save(const std::string& path) const;
  static StatusOr<Transform> Load(const std::string& path);

  // One fitted input column; public for the JSON code, not for callers.
  struct Step {
    std::string name;
    ColumnType type = ColumnType::kNumeric;
    size_t first_feature = 0;  // index of its first output feature
    // kNumeric: 1 feature; kDate: 4 features (year, month, dow, doy).
    std::vector<double> fill;   // per output feature: value for missing (NaN = none)
    std::vector<double> mean;   // per output feature: subtracted (0 if !standardize)
    std::vector<double> scale;  // per output feature: divided by (1 if !standardize)
    // kCategorical: sorted kept categories -> one-hot offset from first_feature.
    std::vector<std::string> categories;
    std::unordered_map<std::string, int32_t, StringViewHash, std::equal_to<>> category_index;
    int32_t other_offset = -1;    // "__other__" feature, or -1
    int32_t missing_offset = -1;  // "__missing__" feature, or -1 (kMissingCategory)
    std::string mode;             // most frequent category (kMostFrequent imputation)
    size_t num_features = 0;
  };

 private:
  void BuildIndexes();

  TransformOptions options_;
  std::string target_;
  Task task_ = Task::kRegression;
  std::string task_reason_;
  std::vector<std::string> class_labels_;
  std::vector<Step> steps_;
  std::vector<InputColumn> inputs_;
  std::vector<std::string> feature_names_;
  std::unordered_map<std::string, size_t, StringViewHash, std::equal_to<>> step_index_;  // name -> steps_ index
};

}  // namespace mlpipe::data
