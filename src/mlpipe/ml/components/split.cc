// Built-in `split`: train/test(/valid) split of a dataset.
#include <fmt/format.h>

#include "mlpipe/data/csv.h"
#include "mlpipe/data/split.h"
#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/components/param_check.h"

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
  rng: {type: string, default: mlpipe}
  shuffle: {type: bool, default: true}
  stratify_by: {type: string, default: ""}
  time_column: {type: string, default: ""}
)";

void CheckSplitParams(ParamCheck& c) {
  c.OneOf("method", {"random", "stratified", "time"});
  c.OneOf("rng", {"mlpipe", "sklearn"});
  c.InRange("test_fraction", {0.0, 1.0, true, true});
  c.InRange("valid_fraction", {0.0, 1.0, false, true});
  const auto test = c.Number("test_fraction"), valid = c.Number("valid_fraction");
  if (test && valid && *test > 0 && *valid >= 0 && *test + *valid >= 1) {
    c.Fail("valid_fraction",
           fmt::format("test_fraction {} and valid_fraction {} leave no rows to train on", *test, *valid),
           "make test_fraction + valid_fraction less than 1");
  }
  const auto method = c.String("method"), rng = c.String("rng");
  const auto stratify_by = c.String("stratify_by"), time_column = c.String("time_column");
  if (method == "stratified" && stratify_by == "") {
    c.Fail("method", "method 'stratified' needs param 'stratify_by' (the class column)",
           "add stratify_by: COLUMN");
  }
  if (method == "time" && time_column == "") {
    c.Fail("method", "method 'time' needs param 'time_column'", "add time_column: COLUMN (numeric or date)");
  }
  if (method && method != "stratified" && stratify_by && !stratify_by->empty()) {
    c.Fail("stratify_by",
           fmt::format("stratify_by is used by method 'stratified' only, and method is '{}'", *method),
           "set method: stratified, or remove stratify_by");
  }
  if (method && method != "time" && time_column && !time_column->empty()) {
    c.Fail("time_column",
           fmt::format("time_column is used by method 'time' only, and method is '{}'", *method),
           "set method: time, or remove time_column");
  }
  if (rng == "sklearn" && method == "time") {
    c.Fail("rng",
           "rng 'sklearn' draws random or stratified rows as scikit-learn does; a time split draws nothing",
           "remove rng, or use method random or stratified");
  }
  if (c.Bool("shuffle") == false && method && method != "random") {
    c.Fail("shuffle",
           fmt::format("shuffle: false keeps the file order of a random split; method '{}' cannot", *method),
           method == "time" ? "remove shuffle: a time split orders rows by its column"
                            : "remove shuffle (scikit-learn refuses stratify with shuffle=False)");
  }
  if (rng == "sklearn") {
    c.InRange("seed", {0.0, 4294967295.0});  // numpy's RandomState takes 32 bits
  }
}

Status RunSplit(const BuiltinInvocation& inv) {
  ASSIGN_OR_RETURN(std::string in, Input(inv, "data"));
  ASSIGN_OR_RETURN(std::string out_train, Output(inv, "train"));
  ASSIGN_OR_RETURN(std::string out_test, Output(inv, "test"));
  auto valid_it = inv.outputs.find("valid");
  data::SplitOptions opt;
  ASSIGN_OR_RETURN(std::string method, ParamString(inv, "method", "random"));
  ASSIGN_OR_RETURN(opt.method, data::ParseSplitMethod(method));
  ASSIGN_OR_RETURN(std::string rng, ParamString(inv, "rng", "mlpipe"));
  ASSIGN_OR_RETURN(opt.rng, data::ParseSplitRng(rng));
  ASSIGN_OR_RETURN(opt.shuffle, ParamBool(inv, "shuffle", true));
  ASSIGN_OR_RETURN(opt.test_fraction, ParamFloat(inv, "test_fraction", 0.2));
  ASSIGN_OR_RETURN(opt.validation_fraction, ParamFloat(inv, "valid_fraction", 0.0));
  ASSIGN_OR_RETURN(int64_t seed, ParamInt(inv, "seed", 42));
  opt.seed = static_cast<uint64_t>(seed);
  if (opt.method == data::SplitMethod::kStratified) {
    ASSIGN_OR_RETURN(opt.column, ParamString(inv, "stratify_by", ""));
  } else if (opt.method == data::SplitMethod::kTime) {
    ASSIGN_OR_RETURN(opt.column, ParamString(inv, "time_column", ""));
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
  // `valid` is an optional output: written only when there is a validation
  // part, so a step binding it sees "not produced" rather than an empty file.
  if (opt.validation_fraction > 0) RETURN_IF_ERROR(data::WriteCsv(split->validation, valid_it->second));
  Log(inv) << fmt::format("split {} rows ({}, rng {}): train {}, test {}{}\n", table.num_rows(), method, rng,
                          split->train.num_rows(), split->test.num_rows(),
                          opt.validation_fraction > 0
                              ? fmt::format(", valid {}", split->validation.num_rows())
                              : std::string(", no valid output (valid_fraction 0)"));
  MetricsWriter metrics(inv);
  RETURN_IF_ERROR(metrics.Record("train_rows", static_cast<double>(split->train.num_rows())));
  RETURN_IF_ERROR(metrics.Record("test_rows", static_cast<double>(split->test.num_rows())));
  if (opt.validation_fraction > 0) {
    RETURN_IF_ERROR(metrics.Record("valid_rows", static_cast<double>(split->validation.num_rows())));
  }
  return OkStatus();
}

}  // namespace mlpipe::ml::components
