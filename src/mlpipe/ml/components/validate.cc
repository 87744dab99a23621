// Built-in `validate`: check a dataset against a schema and reference statistics.
#include "mlpipe/data/validate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "mlpipe/data/schema.h"
#include "mlpipe/data/stats.h"
#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/components/param_check.h"

namespace mlpipe::ml::components {

const char* const kValidateYaml = R"(component: validate
description: Check a dataset against a schema and (optionally) reference statistics; report anomalies and drift.
builtin: validate
inputs:
  data: dataset
  schema: schema
  reference_stats: {type: stats, optional: true}
outputs:
  anomalies: {type: anomalies, keep_on_failure: true}
  report: {type: report, keep_on_failure: true}
params:
  fail_on_anomalies: {type: bool, default: true}
  psi_threshold: {type: float, default: 0.2}
  ks_threshold: {type: float, default: 0.1}
  missing_rate_threshold: {type: float, default: 0.05}
  range_tolerance: {type: float, default: 0.0}
  ignore_columns: {type: list, default: []}
)";

void CheckValidateParams(ParamCheck& c) {
  for (const char* name : {"psi_threshold", "ks_threshold", "missing_rate_threshold", "range_tolerance"}) {
    c.AtLeast(name, 0);
  }
}

Status RunValidate(const BuiltinInvocation& inv) {
  ASSIGN_OR_RETURN(std::string in, Input(inv, "data"));
  ASSIGN_OR_RETURN(std::string schema_path, Input(inv, "schema"));
  std::optional<std::string> ref_path = OptionalInput(inv, "reference_stats");
  ASSIGN_OR_RETURN(std::string out_anomalies, Output(inv, "anomalies"));
  ASSIGN_OR_RETURN(std::string out_report, Output(inv, "report"));
  ASSIGN_OR_RETURN(bool fail, ParamBool(inv, "fail_on_anomalies", true));
  data::ValidateOptions opt;
  ASSIGN_OR_RETURN(opt.psi_threshold, ParamFloat(inv, "psi_threshold", 0.2));
  ASSIGN_OR_RETURN(opt.ks_threshold, ParamFloat(inv, "ks_threshold", 0.1));
  ASSIGN_OR_RETURN(opt.missing_rate_threshold, ParamFloat(inv, "missing_rate_threshold", 0.05));
  ASSIGN_OR_RETURN(opt.range_tolerance, ParamFloat(inv, "range_tolerance", 0.0));
  ASSIGN_OR_RETURN(opt.ignore_columns, ParamList(inv, "ignore_columns"));

  auto schema = data::LoadSchema(schema_path);
  if (!schema.ok()) return schema.status().WithContext("input 'schema'");
  std::optional<data::TableStats> ref;
  if (ref_path) {
    auto s = data::LoadStats(*ref_path);
    if (!s.ok()) return s.status().WithContext("input 'reference_stats'");
    ref = std::move(s).value();
  }
  opt.check_drift = ref.has_value();
  ASSIGN_OR_RETURN(data::Table table, ReadTable("data", in));
  data::ValidationResult result = data::Validate(table, *schema, ref ? &*ref : nullptr, opt);
  size_t errors = 0, warnings = 0;
  for (const data::Anomaly& a : result.anomalies)
    (a.severity == data::Severity::kError ? errors : warnings)++;
  // Any anomaly (error or warning, drift included) fails the step when asked:
  // the verdict is known before anything is written, so the report never
  // says "passed" for a step that fails. The report and the metrics are
  // written either way (the engine keeps them on failure: keep_on_failure).
  const bool fails = fail && !result.anomalies.empty();
  nlohmann::json anomalies = data::ValidationToJson(result);
  anomalies["ok"] = !fails;
  RETURN_IF_ERROR(WriteJsonFile(out_anomalies, anomalies));
  std::string report = data::ValidationToText(result, fails);
  RETURN_IF_ERROR(WriteText(out_report, report));
  Log(inv) << report;

  double max_psi = 0;
  for (const data::DriftScore& d : result.drift) {
    if (std::isfinite(d.psi)) max_psi = std::max(max_psi, d.psi);
  }
  MetricsWriter metrics(inv);
  RETURN_IF_ERROR(metrics.Record("anomalies", static_cast<double>(result.anomalies.size())));
  RETURN_IF_ERROR(metrics.Record("anomaly_errors", static_cast<double>(errors)));
  RETURN_IF_ERROR(metrics.Record("anomaly_warnings", static_cast<double>(warnings)));
  if (ref) RETURN_IF_ERROR(metrics.Record("max_psi", max_psi));

  if (fails) {
    const data::Anomaly* first = &result.anomalies.front();
    for (const data::Anomaly& a : result.anomalies) {
      if (a.severity == data::Severity::kError) {
        first = &a;
        break;
      }
    }
    return FailedPreconditionError(
        fmt::format("validation found {} error(s) and {} warning(s); first: {} (set fail_on_anomalies: false "
                    "to continue)",
                    errors, warnings, first ? first->message : "?"));
  }
  return OkStatus();
}

}  // namespace mlpipe::ml::components
