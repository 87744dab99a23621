// Built-in `stats`: descriptive statistics of a dataset (JSON + readable report).
#include <fmt/format.h>

#include "mlpipe/data/stats.h"
#include "mlpipe/ml/components/common.h"
#include "mlpipe/ml/components/param_check.h"

namespace mlpipe::ml::components {

const char* const kStatsYaml = R"(component: stats
description: Descriptive statistics of a CSV dataset (counts, missing values, quantiles, histograms, top categories).
builtin: stats
inputs:
  data: dataset
outputs:
  stats: stats
  report: report
params:
  histogram_bins: {type: int, default: 20}
  max_top_categories: {type: int, default: 1000}
)";

void CheckStatsParams(ParamCheck& c) {
  c.AtLeast("histogram_bins", 1);
  c.AtLeast("max_top_categories", 0);
}

namespace {

std::string StatsReport(const data::TableStats& s) {
  std::string out = fmt::format("{} rows, {} columns\n\n", s.num_rows, s.columns.size());
  out += fmt::format("{:<28} {:<12} {:>8} {:>12} {:>12} {:>12} {:>12}\n", "column", "type", "missing", "mean",
                     "std", "min", "max");
  for (const data::ColumnStats& c : s.columns) {
    if (c.type == data::ColumnType::kCategorical) {
      std::string top;
      for (size_t i = 0; i < c.categorical.top.size() && i < 3; ++i) {
        top += fmt::format("{}{} ({})", i ? ", " : "", c.categorical.top[i].first, c.categorical.top[i].second);
      }
      out += fmt::format("{:<28} {:<12} {:>8} {} distinct; top: {}\n", c.name, "categorical", c.missing,
                         c.categorical.distinct, top);
    } else {
      out += fmt::format("{:<28} {:<12} {:>8} {:>12.4g} {:>12.4g} {:>12.4g} {:>12.4g}\n", c.name,
                         data::ColumnTypeName(c.type), c.missing, c.numeric.mean, c.numeric.std, c.numeric.min,
                         c.numeric.max);
    }
  }
  return out;
}

}  // namespace

Status RunStats(const BuiltinInvocation& inv) {
  ASSIGN_OR_RETURN(std::string in, Input(inv, "data"));
  ASSIGN_OR_RETURN(std::string out_stats, Output(inv, "stats"));
  ASSIGN_OR_RETURN(std::string out_report, Output(inv, "report"));
  ASSIGN_OR_RETURN(int64_t bins, ParamInt(inv, "histogram_bins", 20));
  ASSIGN_OR_RETURN(int64_t top, ParamInt(inv, "max_top_categories", 1000));
  ASSIGN_OR_RETURN(data::Table table, ReadTable("data", in));
  data::StatsOptions opt;
  opt.histogram_bins = static_cast<size_t>(bins);
  opt.max_top_categories = static_cast<size_t>(top);
  data::TableStats stats = data::ComputeStats(table, opt);
  RETURN_IF_ERROR(data::SaveStats(stats, out_stats));
  std::string report = StatsReport(stats);
  RETURN_IF_ERROR(WriteText(out_report, report));
  Log(inv) << report;
  MetricsWriter metrics(inv);
  RETURN_IF_ERROR(metrics.Record("rows", static_cast<double>(stats.num_rows)));
  RETURN_IF_ERROR(metrics.Record("columns", static_cast<double>(stats.columns.size())));
  return OkStatus();
}

}  // namespace mlpipe::ml::components
