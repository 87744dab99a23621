// Built-in `split`: train/test(/valid) split of a dataset.
#include <fmt/format.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/split.h"
#include "mlpipe/ml/components/common.h"

namespace mlpipe::ml::components {

const char* const kSplitYaml = R"(component: split
description: Split a CSV dataset into train, test and (optionally) validation sets; random, stratified or by time.
builtin: split
inputs:
  data: dataset
outputs:
  train: dataset
  test: dataset
  valid: {type: dataset, optional: true}
params:
  method: {type: string, default: random}
  test_fraction: {type: float, default: 0.2}
  valid_fraction: {type: float, default: 0.0}
  seed: {type: int, default: 42}
  stratify_by: {type: string, default: ""}
  time_column: {type: string, default: ""}
)";

Status RunSplit(const BuiltinInvocation& inv) {
  ASSIGN_OR_RETURN(std::string in, Input(inv, "data"));
  ASSIGN_OR_RETURN(std::string out_train, Output(inv, "train"));
  ASSIGN_OR_RETURN(std::string out_test, Output(inv, "test"));
  auto valid_it = inv.outputs.find("valid");
  ASSIGN_OR_RETURN(std::string method, ParamString(inv, "method", "random"));
  data::SplitOptions opt;
  auto m = data::ParseSplitMethod(method);
  if (!m.ok()) return InvalidArgumentError(fmt::format("param 'method': {}", m.status().message()));
  opt.method = *m;
  ASSIGN_OR_RETURN(opt.test_fraction, ParamFloat(inv, "test_fraction", 0.2));
  ASSIGN_OR_RETURN(opt.validation_fraction, ParamFloat(inv, "valid_fraction", 0.0));
  ASSIGN_OR_RETURN(int64_t seed, ParamInt(inv, "seed", 42));
  opt.seed = static_cast<uint64_t>(seed);
  ASSIGN_OR_RETURN(std::string stratify_by, ParamString(inv, "stratify_by", ""));
  ASSIGN_OR_RETURN(std::string time_column, ParamString(inv, "time_column", ""));
  if (opt.method == data::SplitMethod::kStratified) {
    if (stratify_by.empty()) return InvalidArgumentError("method 'stratified' needs param 'stratify_by' (the class column)");
    opt.column = stratify_by;
  } else if (opt.method == data::SplitMethod::kTime) {
    if (time_column.empty()) return InvalidArgumentError("method 'time' needs param 'time_column'");
    opt.column = time_column;
  }
  if (opt.validation_fraction > 0 && valid_it == inv.outputs.end()) {
    return InvalidArgumentError("param 'valid_fraction' > 0 needs the output 'valid' to be bound");
  }
  ASSIGN_OR_RETURN(data::Table table, ReadTable("data", in));
  if (!opt.column.empty()) RETURN_IF_ERROR(RequireColumn(table, opt.column, "split column", "data"));
  auto split = data::SplitTable(table, opt);
  if (!split.ok()) return split.status().WithContext("split");
  RETURN_IF_ERROR(data::WriteCsv(split->train, out_train));
  RETURN_IF_ERROR(data::WriteCsv(split->test, out_test));
  if (valid_it != inv.outputs.end()) {
    // Always create the declared output; with valid_fraction 0 it has no rows.
    data::Table valid = opt.validation_fraction > 0 ? split->validation : table.Take({});
    RETURN_IF_ERROR(data::WriteCsv(valid, valid_it->second));
  }
  Log(inv) << fmt::format("split {} rows ({}): train {}, test {}, valid {}\n", table.num_rows(), method,
                          split->train.num_rows(), split->test.num_rows(), split->validation.num_rows());
  MetricsWriter metrics(inv);
  RETURN_IF_ERROR(metrics.Record("train_rows", static_cast<double>(split->train.num_rows())));
  RETURN_IF_ERROR(metrics.Record("test_rows", static_cast<double>(split->test.num_rows())));
  if (opt.validation_fraction > 0) {
    RETURN_IF_ERROR(metrics.Record("valid_rows", static_cast<double>(split->validation.num_rows())));
  }
  return OkStatus();
}

}  // namespace mlpipe::ml::components
