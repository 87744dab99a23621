// Built-in `predict`: batch predictions of a model package on a dataset.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include "mlpipe/base/strings.h"
#include "mlpipe/data/csv.h"
#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/components/param_check.h"
#include "mlpipe/ml/model_package.h"

namespace mlpipe::ml::components {

const char* const kPredictYaml = R"(component: predict
description: Predict every row of a dataset with a model package; keeps the id columns and adds the prediction (and class probabilities).
builtin: predict
inputs:
  model: model
  data: dataset
outputs:
  predictions: dataset
params:
  keep_columns: {type: list, default: []}
  probabilities: {type: bool, default: true}
)";

void CheckPredictParams(ParamCheck&) {}

namespace {

bool LooksLikeId(const std::string& name) {
  const std::string lower = AsciiLower(name);
  return lower == "id" || EndsWith(lower, "_id");
}

}  // namespace

Status RunPredict(const BuiltinInvocation& inv) {
  ASSIGN_OR_RETURN(std::string model_path, Input(inv, "model"));
  ASSIGN_OR_RETURN(std::string data_path, Input(inv, "data"));
  ASSIGN_OR_RETURN(std::string out, Output(inv, "predictions"));
  ASSIGN_OR_RETURN(std::vector<std::string> keep, ParamList(inv, "keep_columns"));
  ASSIGN_OR_RETURN(bool with_probs, ParamBool(inv, "probabilities", true));
  ASSIGN_OR_RETURN(std::shared_ptr<const LoadedModel> model, LoadModelInput("model", model_path));
  const LoadedModel& m = *model;
  ASSIGN_OR_RETURN(data::Table table, ReadForModel("data", data_path, m));
  if (keep.empty()) {
    for (const std::string& name : table.ColumnNames()) {
      if (LooksLikeId(name)) keep.push_back(name);
    }
  }
  for (const std::string& c : keep) RETURN_IF_ERROR(RequireColumn(table, c, "column", "data"));
  auto start = std::chrono::steady_clock::now();
  auto pred = m.Predict(table);
  if (!pred.ok()) return pred.status().WithContext("input 'data'");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  data::Table result;
  for (const std::string& c : keep) RETURN_IF_ERROR(result.AddColumn(*table.Find(c)));
  const std::string pred_name = result.Find("prediction") ? "predicted_" + m.manifest().target : "prediction";
  if (pred->is_classification()) {
    data::Column labels(pred_name, data::ColumnType::kCategorical);
    for (const std::string& l : m.Labels(*pred)) labels.AppendString(l);
    RETURN_IF_ERROR(result.AddColumn(std::move(labels)));
    if (with_probs) {
      for (size_t c = 0; c < pred->num_classes; ++c) {
        data::Column prob("prob_" + m.manifest().class_labels[c], data::ColumnType::kNumeric);
        for (size_t r = 0; r < pred->rows; ++r) prob.AppendNumber(pred->prob(r, c));
        RETURN_IF_ERROR(result.AddColumn(std::move(prob)));
      }
    }
  } else {
    data::Column values(pred_name, data::ColumnType::kNumeric);
    for (float v : pred->values) values.AppendNumber(v);
    RETURN_IF_ERROR(result.AddColumn(std::move(values)));
  }
  RETURN_IF_ERROR(data::WriteCsv(result, out));
  Log(inv) << fmt::format("predicted {} rows in {:.3f}s\n", table.num_rows(), seconds);
  MetricsWriter metrics(inv);
  RETURN_IF_ERROR(metrics.Record("rows", static_cast<double>(table.num_rows())));
  RETURN_IF_ERROR(metrics.Record("predict_seconds", seconds));
  return OkStatus();
}

}  // namespace mlpipe::ml::components
