// The report of `mlpipe test` (cmd_test.cc): what a pull request's CI ran and
// how the smoke run's metrics compare with a baseline run, as Markdown (for a
// pull-request comment, as CML posts for DVC) or JSON. Plain data in, text
// out: the command fills a CiReport, these functions only format it.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mlpipe::cli {

// The trigger recorded with a smoke run, so that it is told apart from real
// runs (and never chosen as a baseline).
inline constexpr const char* kCiTrigger = "mlpipe test";

// One declared `tests:` command and how it went.
struct CiTestResult {
  std::string owner;    // "step features" or "component featurize"
  std::string command;  // as written in the spec
  bool passed = false;
  int64_t duration_ns = 0;
  std::string detail = {};  // "exit 0", "exit 3", "timed out after 10m00s", "cannot run 'x': ..."
};

// A metric of the smoke run, the baseline run, or both (absent = not recorded
// on that side).
struct MetricChange {
  std::string metric;  // STEP.NAME, or NAME for a run-level metric
  std::optional<double> baseline;
  std::optional<double> current;
};

struct CiReport {
  std::string pipeline;  // the pipeline's name
  std::string file;      // the pipeline file as given
  std::vector<CiTestResult> tests;
  // The smoke run: run_id 0 when it did not run (--skip-run, or it could not
  // start); `skipped` when --skip-run said so.
  bool smoke_skipped = false;
  int64_t smoke_run = 0;
  bool smoke_succeeded = false;
  std::string smoke_status;                         // "succeeded", "failed", ... or why it did not run
  std::map<std::string, std::string> smoke_params;  // the ci: params and -p flags it ran with
  int64_t smoke_duration_ns = 0;
  // The baseline run (0 = none found) and how it was chosen, for people.
  int64_t baseline_run = 0;
  std::string baseline_reason;
  std::vector<MetricChange> metrics;  // in the order shown (the command puts test metrics first)

  int TestsFailed() const;
  // Every test passed and the smoke run succeeded or was skipped.
  bool Passed() const;
};

// The union of both sides' metric names, in name order.
std::vector<MetricChange> CompareMetrics(const std::map<std::string, double>& baseline,
                                         const std::map<std::string, double>& current);

// "+0.0123 (+1.7%)", "-0.5 (-50.0%)", "0 (+0.0%)"; "+2" alone when the baseline
// is 0 (no percentage of nothing); "-" when either side is absent.
std::string FormatMetricChange(const std::optional<double>& baseline, const std::optional<double>& current);

// The one-line verdict ("2 of 2 tests passed; smoke run 12 succeeded").
std::string CiSummaryLine(const CiReport& report);

// A Markdown document: a heading with the verdict, the tests table (test,
// result, duration) and the metrics table (metric, baseline, this run,
// change). Table cells escape `|` so a command cannot break a row.
std::string CiReportMarkdown(const CiReport& report);

// The same as JSON: {"pipeline", "file", "passed", "summary", "tests": [...],
// "smoke_run": {...} or null, "baseline": {...} or null, "metrics": [...]}.
nlohmann::json CiReportJson(const CiReport& report);

}  // namespace mlpipe::cli
