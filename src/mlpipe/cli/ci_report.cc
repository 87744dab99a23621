#include "mlpipe/cli/ci_report.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "mlpipe/base/strings.h"

namespace mlpipe::cli {
namespace {

std::string MetricText(double v) { return fmt::format("{:.6g}", v); }

// A table cell: a pipe would end the cell and a newline the row.
std::string MdCell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// Code text in a cell: a code span unless the text holds a backtick.
std::string MdCode(const std::string& text) {
  if (text.find('`') != std::string::npos) return MdCell(text);
  return fmt::format("`{}`", MdCell(text));
}

std::string ParamsText(const std::map<std::string, std::string>& params) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : params) parts.push_back(k + "=" + v);
  return Join(parts, ", ");
}

double SecondsOf(int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

int CiReport::TestsFailed() const {
  int failed = 0;
  for (const auto& t : tests) failed += t.passed ? 0 : 1;
  return failed;
}

bool CiReport::Passed() const { return TestsFailed() == 0 && (smoke_skipped || smoke_succeeded); }

std::vector<MetricChange> CompareMetrics(const std::map<std::string, double>& baseline,
                                         const std::map<std::string, double>& current) {
  std::set<std::string> names;
  for (const auto& [k, v] : baseline) names.insert(k);
  for (const auto& [k, v] : current) names.insert(k);
  std::vector<MetricChange> out;
  for (const auto& name : names) {
    MetricChange m{name, std::nullopt, std::nullopt};
    if (auto it = baseline.find(name); it != baseline.end()) m.baseline = it->second;
    if (auto it = current.find(name); it != current.end()) m.current = it->second;
    out.push_back(std::move(m));
  }
  return out;
}

std::string FormatMetricChange(const std::optional<double>& baseline, const std::optional<double>& current) {
  if (!baseline || !current) return "-";
  const double delta = *current - *baseline;
  const std::string abs = delta == 0 ? "0" : fmt::format("{:+.6g}", delta);
  if (*baseline == 0) return abs;
  return fmt::format("{} ({:+.1f}%)", abs, 100.0 * delta / std::fabs(*baseline));
}

std::string CiSummaryLine(const CiReport& report) {
  const int failed = report.TestsFailed();
  const size_t total = report.tests.size();
  std::string tests = total == 0    ? "no tests declared"
                      : failed == 0 ? fmt::format("{} of {} tests passed", total, total)
                                    : fmt::format("{} of {} tests failed", failed, total);
  std::string smoke;
  if (report.smoke_skipped) {
    smoke = "smoke run skipped";
  } else if (report.smoke_run == 0) {
    smoke = "smoke run did not start: " + report.smoke_status;
  } else {
    smoke = fmt::format("smoke run {} {}", report.smoke_run, report.smoke_status);
  }
  return tests + "; " + smoke;
}

std::string CiReportMarkdown(const CiReport& report) {
  std::string md =
      fmt::format("## mlpipe test: {} {}\n\n", report.pipeline, report.Passed() ? "passed" : "FAILED");
  md += fmt::format("{} (`{}`).\n\n", CiSummaryLine(report), MdCell(report.file));

  md += "### Tests\n\n";
  if (report.tests.empty()) {
    md += "No step or component of this pipeline declares `tests:`.\n\n";
  } else {
    md += "| Test | Result | Duration |\n| --- | --- | --- |\n";
    for (const auto& t : report.tests) {
      std::string result = t.passed ? std::string("PASS") : fmt::format("FAIL ({})", MdCell(t.detail));
      md += fmt::format("| {}: {} | {} | {} |\n", MdCell(t.owner), MdCode(t.command), result,
                        FormatDuration(t.duration_ns));
    }
    md += "\n";
  }

  md += "### Metrics\n\n";
  if (report.smoke_skipped) return md + "The smoke run was skipped (`--skip-run`).\n";
  if (report.smoke_run == 0) return md + fmt::format("The smoke run did not start: {}\n", MdCell(report.smoke_status));
  md += fmt::format("Smoke run {} ({}, {}", report.smoke_run, report.smoke_status,
                    FormatDuration(report.smoke_duration_ns));
  if (!report.smoke_params.empty()) md += fmt::format(", params {}", MdCode(ParamsText(report.smoke_params)));
  md += ") against ";
  md += report.baseline_run == 0
            ? fmt::format("no baseline: {}.\n\n", MdCell(report.baseline_reason))
            : fmt::format("run {} ({}).\n\n", report.baseline_run, MdCell(report.baseline_reason));
  if (report.metrics.empty()) return md + "Neither run recorded metrics.\n";
  const std::string base_head =
      report.baseline_run == 0 ? "Baseline" : fmt::format("Baseline (run {})", report.baseline_run);
  md += fmt::format("| Metric | {} | This run (run {}) | Change |\n| --- | ---: | ---: | ---: |\n", base_head,
                    report.smoke_run);
  for (const auto& m : report.metrics) {
    md += fmt::format("| {} | {} | {} | {} |\n", MdCode(m.metric), m.baseline ? MetricText(*m.baseline) : "-",
                      m.current ? MetricText(*m.current) : "-", FormatMetricChange(m.baseline, m.current));
  }
  return md;
}

nlohmann::json CiReportJson(const CiReport& report) {
  nlohmann::json tests = nlohmann::json::array();
  for (const auto& t : report.tests) {
    tests.push_back({{"owner", t.owner},
                     {"command", t.command},
                     {"result", t.passed ? "pass" : "fail"},
                     {"detail", t.detail},
                     {"duration_s", SecondsOf(t.duration_ns)}});
  }
  nlohmann::json smoke = nullptr;
  if (!report.smoke_skipped) {
    smoke = {{"run", report.smoke_run == 0 ? nlohmann::json(nullptr) : nlohmann::json(report.smoke_run)},
             {"status", report.smoke_status},
             {"succeeded", report.smoke_succeeded},
             {"params", report.smoke_params},
             {"duration_s", SecondsOf(report.smoke_duration_ns)}};
  }
  nlohmann::json baseline = nullptr;
  if (report.baseline_run != 0) baseline = {{"run", report.baseline_run}, {"reason", report.baseline_reason}};
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& m : report.metrics) {
    nlohmann::json row = {{"metric", m.metric},
                          {"baseline", m.baseline ? nlohmann::json(*m.baseline) : nlohmann::json(nullptr)},
                          {"value", m.current ? nlohmann::json(*m.current) : nlohmann::json(nullptr)},
                          {"change", nullptr},
                          {"change_pct", nullptr}};
    if (m.baseline && m.current) {
      row["change"] = *m.current - *m.baseline;
      if (*m.baseline != 0) row["change_pct"] = 100.0 * (*m.current - *m.baseline) / std::fabs(*m.baseline);
    }
    metrics.push_back(std::move(row));
  }
  return {{"pipeline", report.pipeline},      {"file", report.file},          {"passed", report.Passed()},
          {"summary", CiSummaryLine(report)}, {"tests", std::move(tests)},    {"smoke_run", std::move(smoke)},
          {"baseline", std::move(baseline)},  {"metrics", std::move(metrics)}};
}

}  // namespace mlpipe::cli
