#include "mlpipe/data/transform.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/number.h"

namespace mlpipe::data {
namespace {

constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kDateParts[4] = {"year", "month", "day_of_week", "day_of_year"};

void DateFeatures(int32_t day, double out[4]) {
  CivilDate c = CivilFromDays(day);
  out[0] = c.year;
  out[1] = c.month;
  out[2] = DayOfWeek(day);
  out[3] = DayOfYear(day);
}

double Median(std::vector<double> v) {
  if (v.empty()) return kNoValue;
  size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lo + hi) / 2;
}

// Fill value, mean and scale for one numeric feature from its train values
// (NaN = missing).
void FitNumeric(const std::vector<double>& values, const TransformOptions& o, double* fill,
                double* mean, double* scale) {
  std::vector<double> present;
  present.reserve(values.size());
  for (double v : values) {
    if (!std::isnan(v)) present.push_back(v);
  }
  *fill = kNoValue;
  if (o.numeric_impute != NumericImpute::kNone) {
    if (present.empty()) {
      *fill = 0;
    } else if (o.numeric_impute == NumericImpute::kMedian) {
      *fill = Median(present);
    } else {
      double s = 0;
      for (double v : present) s += v;
      *fill = s / static_cast<double>(present.size());
    }
  }
  *mean = 0;
  *scale = 1;
  if (!o.standardize) return;
  // Statistics of the imputed column (as an impute-then-scale pipeline does).
  double n = 0, s = 0, ss = 0;
  for (double v : values) {
    if (std::isnan(v)) v = *fill;
    if (std::isnan(v)) continue;
    n += 1;
    s += v;
  }
  if (n == 0) return;
  double m = s / n;
  for (double v : values) {
    if (std::isnan(v)) v = *fill;
    if (std::isnan(v)) continue;
    ss += (v - m) * (v - m);
  }
  double sd = std::sqrt(ss / n);
  *mean = m;
  *scale = sd > 0 ? sd : 1;
}

// The classes of a classification target, sorted (numbers by value, text
// as strings), with a binary positive_class second.
StatusOr<std::vector<std::string>> ClassLabels(const Column& target, const std::string& positive_class) {
  std::vector<std::string> labels;
  if (target.type() == ColumnType::kCategorical) {
    std::vector<bool> used(target.dictionary().size(), false);
    for (int32_t c : target.codes()) used[c] = true;
    for (size_t i = 0; i < used.size(); ++i) {
      if (used[i]) labels.push_back(target.dictionary()[i]);
    }
    std::sort(labels.begin(), labels.end());
  } else if (target.type() == ColumnType::kNumeric) {
    std::vector<double> values = target.numbers();
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (double v : values) labels.push_back(FormatNumber(v));
  } else {
    for (size_t r = 0; r < target.size(); ++r) labels.push_back(target.ValueToString(r));
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
  }
  if (positive_class.empty()) return labels;
  auto it = std::find(labels.begin(), labels.end(), positive_class);
  if (it == labels.end()) {
    return InvalidArgumentError(fmt::format("positive_class '{}' is not a class of '{}' (classes: {})",
                                            positive_class, target.name(), Join(labels, ", ")));
  }
  if (labels.size() != 2) {
    return InvalidArgumentError(
        fmt::format("positive_class '{}' is for a binary target, but '{}' has {} classes ({})",
                    positive_class, target.name(), labels.size(), Join(labels, ", ")));
  }
  if (it == labels.begin()) std::swap(labels[0], labels[1]);
  return labels;
}

}  // namespace

const char* TaskName(Task task) {
  switch (task) {
    case Task::kAuto: return "auto";
    case Task::kClassification: return "classification";
    case Task::kRegression: return "regression";
  }
  return "?";
}

StatusOr<Task> ParseTask(std::string_view name) {
  if (name == "auto") return Task::kAuto;
  if (name == "classification") return Task::kClassification;
  if (name == "regression") return Task::kRegression;
  return InvalidArgumentError(
      fmt::format("unknown task '{}' (expected auto, classification or regression)", name));
}

const char* CategoricalImputeName(CategoricalImpute v) {
  return v == CategoricalImpute::kMostFrequent ? "most_frequent" : "missing_category";
}

StatusOr<CategoricalImpute> ParseCategoricalImpute(std::string_view name) {
  if (name == "missing_category") return CategoricalImpute::kMissingCategory;
  if (name == "most_frequent") return CategoricalImpute::kMostFrequent;
  return InvalidArgumentError(
      fmt::format("unknown categorical_impute '{}' (expected missing_category or most_frequent)", name));
}

const char* FeatureOrderName(FeatureOrder order) {
  return order == FeatureOrder::kNumericFirst ? "numeric_first" : "input";
}

StatusOr<FeatureOrder> ParseFeatureOrder(std::string_view name) {
  if (name == "input") return FeatureOrder::kInput;
  if (name == "numeric_first") return FeatureOrder::kNumericFirst;
  return InvalidArgumentError(
      fmt::format("unknown feature_order '{}' (expected input or numeric_first)", name));
}

StatusOr<TaskChoice> ChooseTask(const Column& target, const TransformOptions& options) {
  const std::string& name = target.name();
  const bool numeric = target.type() == ColumnType::kNumeric;
  if (options.task == Task::kRegression) {
    if (!numeric) {
      return InvalidArgumentError(
          fmt::format("regression needs a numeric target; '{}' is {}", name, ColumnTypeName(target.type())));
    }
    if (!options.positive_class.empty()) {
      return InvalidArgumentError(
          fmt::format("positive_class '{}' names a class, but task is regression", options.positive_class));
    }
    return TaskChoice{Task::kRegression, "task: regression was given", false};
  }
  if (options.task == Task::kClassification) {
    return TaskChoice{Task::kClassification, "task: classification was given", false};
  }
  if (!numeric) {
    return TaskChoice{Task::kClassification,
                      fmt::format("target '{}' is {}", name, ColumnTypeName(target.type())), false};
  }
  if (!options.positive_class.empty()) {
    return TaskChoice{Task::kClassification,
                      fmt::format("positive_class '{}' was given for the numeric target '{}'",
                                  options.positive_class, name),
                      false};
  }
  // A numeric target with a few whole values may well be classes (0/1).
  constexpr size_t kFewValues = 10;
  std::vector<double> values;
  for (double v : target.numbers()) {
    if (std::isnan(v)) continue;
    if (v != std::floor(v)) {
      return TaskChoice{Task::kRegression, fmt::format("target '{}' is numeric", name), false};
    }
    if (std::find(values.begin(), values.end(), v) == values.end()) {
      values.push_back(v);
      if (values.size() > kFewValues) {
        return TaskChoice{Task::kRegression, fmt::format("target '{}' is numeric", name), false};
      }
    }
  }
  std::sort(values.begin(), values.end());
  std::vector<std::string> shown;
  for (double v : values) shown.push_back(FormatNumber(v));
  std::string other = values.size() == 2
                          ? fmt::format("set task: classification (or positive_class: \"{}\")", shown.back())
                          : std::string("set task: classification");
  return TaskChoice{
      Task::kRegression,
      fmt::format("target '{}' is numeric with only {} distinct values ({}): fitted as regression "
                  "(task: auto); to train a classifier, {} on the transform step",
                  name, values.size(), Join(shown, ", "), other),
      true};
}

StatusOr<Transform> Transform::Fit(const Table& train, const TransformOptions& options) {
  if (train.num_rows() == 0) return InvalidArgumentError("cannot fit a transform on an empty table");
  Transform t;
  t.options_ = options;
  t.target_ = options.target;
  const Column* target = nullptr;
  if (!options.target.empty()) {
    ASSIGN_OR_RETURN(size_t ti, train.IndexOf(options.target));
    target = &train.column(ti);
  }
  for (const auto& name : options.exclude) {
    RETURN_IF_ERROR(train.IndexOf(name).status().WithContext("exclude"));
  }

  // Labels.
  if (target != nullptr) {
    if (target->MissingCount() > 0) {
      return InvalidArgumentError(
          fmt::format("target column '{}' has {} missing values", target->name(), target->MissingCount()));
    }
    ASSIGN_OR_RETURN(TaskChoice choice, ChooseTask(*target, options));
    t.task_ = choice.task;
    t.task_reason_ = std::move(choice.reason);
    if (t.task_ == Task::kClassification) {
      ASSIGN_OR_RETURN(t.class_labels_, ClassLabels(*target, options.positive_class));
    }
  }

  // Features.
  std::vector<const Column*> columns;
  for (const Column& col : train.columns()) columns.push_back(&col);
  if (options.feature_order == FeatureOrder::kNumericFirst) {
    auto rank = [](const Column* c) {
      return c->type() == ColumnType::kNumeric ? 0 : c->type() == ColumnType::kDate ? 1 : 2;
    };
    std::stable_sort(columns.begin(), columns.end(),
                     [&](const Column* a, const Column* b) { return rank(a) < rank(b); });
  }
  size_t next = 0;
  for (const Column* column : columns) {
    const Column& col = *column;
    if (target != nullptr && col.name() == target->name()) continue;
    if (std::find(options.exclude.begin(), options.exclude.end(), col.name()) != options.exclude.end()) continue;
    Step s;
    s.name = col.name();
    s.type = col.type();
    s.first_feature = next;
    switch (col.type()) {
      case ColumnType::kNumeric: {
        s.fill.resize(1);
        s.mean.resize(1);
        s.scale.resize(1);
        FitNumeric(col.numbers(), options, &s.fill[0], &s.mean[0], &s.scale[0]);
        s.num_features = 1;
        t.feature_names_.push_back(col.name());
        break;
      }
      case ColumnType::kDate: {
        s.fill.resize(4);
        s.mean.resize(4);
        s.scale.resize(4);
        std::vector<std::vector<double>> parts(4, std::vector<double>(col.size()));
        for (size_t r = 0; r < col.size(); ++r) {
          double f[4] = {kNoValue, kNoValue, kNoValue, kNoValue};
          if (!col.IsMissing(r)) DateFeatures(col.day(r), f);
          for (int k = 0; k < 4; ++k) parts[k][r] = f[k];
        }
        for (int k = 0; k < 4; ++k) {
          FitNumeric(parts[k], options, &s.fill[k], &s.mean[k], &s.scale[k]);
          t.feature_names_.push_back(col.name() + "." + kDateParts[k]);
        }
        s.num_features = 4;
        break;
      }
      case ColumnType::kCategorical: {
        std::vector<size_t> counts(col.dictionary().size(), 0);
        size_t missing = 0;
        for (int32_t c : col.codes()) {
          if (c < 0) {
            ++missing;
          } else {
            ++counts[c];
          }
        }
        std::vector<size_t> order;
        for (size_t i = 0; i < counts.size(); ++i) {
          if (counts[i] > 0) order.push_back(i);
        }
        const auto& dict = col.dictionary();
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
          return counts[a] != counts[b] ? counts[a] > counts[b] : dict[a] < dict[b];
        });
        if (!order.empty()) s.mode = dict[order[0]];
        bool has_other = options.max_categories > 0 && order.size() > options.max_categories;
        if (has_other) order.resize(options.max_categories);
        for (size_t i : order) s.categories.push_back(dict[i]);
        std::sort(s.categories.begin(), s.categories.end());
        for (const auto& c : s.categories) t.feature_names_.push_back(col.name() + "=" + c);
        s.num_features = s.categories.size();
        if (has_other) {
          s.other_offset = static_cast<int32_t>(s.num_features++);
          t.feature_names_.push_back(col.name() + "=__other__");
        }
        if (missing > 0 && options.categorical_impute == CategoricalImpute::kMissingCategory) {
          s.missing_offset = static_cast<int32_t>(s.num_features++);
          t.feature_names_.push_back(col.name() + "=__missing__");
        }
        break;
      }
    }
    next += s.num_features;
    t.inputs_.push_back(InputColumn{col.name(), col.type()});
    t.steps_.push_back(std::move(s));
  }
  t.BuildIndexes();
  return t;
}

void Transform::BuildIndexes() {
  step_index_.clear();
  for (size_t i = 0; i < steps_.size(); ++i) {
    Step& s = steps_[i];
    step_index_.emplace(s.name, i);
    s.category_index.clear();
    for (size_t k = 0; k < s.categories.size(); ++k) {
      s.category_index.emplace(s.categories[k], static_cast<int32_t>(k));
    }
  }
}

std::string Transform::ClassLabel(size_t index) const {
  return index < class_labels_.size() ? class_labels_[index] : std::string();
}

}  // namespace mlpipe::data
