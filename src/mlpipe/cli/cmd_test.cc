// mlpipe test: what a pull request's CI runs for a pipeline. Validate, the
// declared tests:, a smoke run with the ci: params, and a report of the smoke
// run's metrics against a baseline run (ci_report.h).
#include <fmt/format.h>
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "mlpipe/base/clock.h"
#include "mlpipe/base/strings.h"
#include "mlpipe/cli/ci_report.h"
#include "mlpipe/cli/ci_tests.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/local_env.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/engine/pipeline_run.h"
#include "mlpipe/exec/interrupt.h"
#include "mlpipe/metadata/run_metrics.h"
#include "mlpipe/spec/trigger_loops.h"
#include "mlpipe/spec/units.h"

namespace mlpipe::cli {
namespace {

struct TestArgs {
  SpecArgs spec;
  std::string report;  // "", "md" or "json"
  std::string out;     // --out FILE; "" = stdout after the summary
  int64_t baseline = 0;
  bool skip_run = false;
  bool no_cache = false;
  int jobs = 0;
  std::string test_timeout = "10m";
};

// A scratch folder for the tests' output, removed when done.
class ScratchDir {
 public:
  static StatusOr<ScratchDir> Make() {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/mlpipe-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) return ErrnoError("cannot make a scratch folder " + tmpl, errno);
    return ScratchDir(tmpl);
  }
  ScratchDir(ScratchDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  ScratchDir& operator=(ScratchDir&&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// The run to compare against: --baseline RUN, else the newest succeeded run of
// the pipeline that `mlpipe test` did not start (what the main branch's last
// run left in the workspace). Sets the report's baseline fields.
Status FindBaseline(metadata::MetadataStore& db, const std::string& pipeline, int64_t wanted,
                    CiReport* report) {
  if (wanted != 0) {
    ASSIGN_OR_RETURN(auto run, db.GetRun(wanted));
    report->baseline_run = run.id;
    report->baseline_reason = "--baseline";
    if (run.pipeline != pipeline) report->baseline_reason += ", a run of pipeline " + run.pipeline;
    return OkStatus();
  }
  ASSIGN_OR_RETURN(auto runs, db.ListRuns(0, pipeline));
  for (const auto& run : runs) {
    if (run.status != metadata::RunStatus::kSucceeded || run.trigger == kCiTrigger) continue;
    report->baseline_run = run.id;
    report->baseline_reason = "the newest succeeded run not started by mlpipe test";
    return OkStatus();
  }
  report->baseline_reason = "no succeeded run of " + pipeline + " but those of mlpipe test";
  return OkStatus();
}

// A run's final metric values, and the keys of its test metrics (the ones
// `mlpipe runs metrics` lists first) added to `test_keys`.
StatusOr<std::map<std::string, double>> FinalMetrics(metadata::MetadataStore& db, int64_t run,
                                                     std::set<std::string>* test_keys) {
  if (run == 0) return std::map<std::string, double>{};
  ASSIGN_OR_RETURN(auto metrics, metadata::RunMetrics(db, run));
  ASSIGN_OR_RETURN(auto builtins, metadata::StepBuiltins(db, run));
  for (const auto& m : metrics) {
    auto it = builtins.find(m.step);
    if (metadata::IsTestMetric(it == builtins.end() ? "" : it->second, m.name)) test_keys->insert(m.Key());
  }
  return metadata::FinalMetricValues(metrics);
}

// Runs the pipeline with `overrides` as `mlpipe run` would, recorded with
// trigger kCiTrigger, and fills the report's smoke-run fields.
Status SmokeRun(const TestArgs& args, const engine::LoadedPipeline& pipeline,
                const std::vector<std::string>& overrides, std::ostream& human, CiReport* report) {
  for (const auto& o : overrides) {
    const size_t eq = o.find('=');
    report->smoke_params[o.substr(0, eq)] = eq == std::string::npos ? "" : o.substr(eq + 1);
  }
  ASSIGN_OR_RETURN(auto ws, OpenWorkspace(true));
  engine::RunOptions options;
  options.parallelism = args.jobs;
  options.no_cache = args.no_cache;
  options.progress = exec::ProgressMode::kPlain;
  options.out = &human;
  options.err = &std::cerr;
  options.trigger = kCiTrigger;
  options.register_models = false;  // a smoke run on a sample is no model to register
  ASSIGN_OR_RETURN(LocalEnv local, OpenLocalEnv(ws));
  const int64_t start = RealClock().MonotonicNanos();
  ASSIGN_OR_RETURN(auto run, engine::RunPipeline(local.env, ws, pipeline, options));
  report->smoke_duration_ns = RealClock().MonotonicNanos() - start;
  report->smoke_run = run.run_id;
  report->smoke_succeeded = run.outcome.ok;
  report->smoke_status = run.outcome.ok ? "succeeded" : run.outcome.interrupted ? "interrupted" : "failed";
  if (run.outcome.interrupted) return CancelledError(fmt::format("smoke run {} interrupted", run.run_id));
  return OkStatus();
}

Status WriteReport(const TestArgs& args, const CiReport& report) {
  if (args.report.empty()) return OkStatus();
  const std::string text =
      args.report == "json" ? CiReportJson(report).dump(2) + "\n" : CiReportMarkdown(report);
  if (args.out.empty()) {
    std::cout << (args.report == "md" ? "\n" : "") << text << std::flush;
    return OkStatus();
  }
  // Written whole beside the target, then renamed: a reader never sees half.
  const std::string tmp = args.out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) return ErrnoError("cannot write the report to " + tmp, errno);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, args.out, ec);
  if (ec) return InternalError(fmt::format("cannot write the report to {}: {}", args.out, ec.message()));
  return OkStatus();
}

Status CmdTest(TestArgs args) {
  auto timeout_ns = spec::ParseDuration(args.test_timeout);
  if (!timeout_ns.ok())
    return InvalidArgumentError("--test-timeout: " + std::string(timeout_ns.status().message()));
  if (!args.out.empty() && args.report.empty()) args.report = "md";
  if (args.baseline < 0)
    return InvalidArgumentError("--baseline takes a run id (mlpipe runs list shows them)");
  // With a JSON report on stdout, everything for people goes to stderr so that
  // stdout stays one JSON document.
  std::ostream& human = args.report == "json" && args.out.empty() ? std::cerr : std::cout;

  // 1. Validate, with the ci: params and then the -p flags applied. Nothing
  // else runs on a spec error.
  const std::string& path = args.spec.pipeline;
  ASSIGN_OR_RETURN(auto loaded, engine::LoadPipelineForRun(path, {}));
  std::vector<std::string> overrides;
  for (const auto& [k, v] : loaded.spec.ci_params) overrides.push_back(k + "=" + v);
  overrides.insert(overrides.end(), args.spec.params.begin(), args.spec.params.end());
  ASSIGN_OR_RETURN(auto pipeline, engine::LoadPipelineForRun(path, overrides));
  const std::vector<spec::Diagnostic> loops = spec::CheckTriggerLoops({&pipeline.spec});
  if (!loops.empty()) {
    for (const auto& d : loops) std::cerr << d.ToString() << "\n";
    return InvalidArgumentError(fmt::format("{} is not valid; nothing was run", path));
  }
  const size_t steps = pipeline.spec.steps.size();
  human << fmt::format("validate: {}: pipeline '{}' is valid ({} step{})\n", path, pipeline.spec.name, steps,
                       steps == 1 ? "" : "s");
  CiReport report;
  report.pipeline = pipeline.spec.name;
  report.file = path;
  report.smoke_skipped = args.skip_run;
  if (args.baseline != 0) {
    // A bad --baseline is bad usage: said before anything runs.
    ASSIGN_OR_RETURN(auto stores, OpenAll());
    RETURN_IF_ERROR(FindBaseline(*stores.db, report.pipeline, args.baseline, &report));
  }

  // 2. The declared tests, one after another, all of them even after a failure.
  RETURN_IF_ERROR(exec::InstallInterruptHandlers());
  exec::ClearInterrupt();
  const std::vector<CiTest> tests = CollectCiTests(pipeline.spec);
  if (!tests.empty()) {
    ASSIGN_OR_RETURN(auto scratch, ScratchDir::Make());
    for (size_t i = 0; i < tests.size(); ++i) {
      human << fmt::format("test: {}: {}\n", tests[i].owner, tests[i].command) << std::flush;
      ASSIGN_OR_RETURN(auto result, RunCiTest(tests[i], *timeout_ns,
                                              fmt::format("{}/test-{}.log", scratch.path(), i), human));
      human << fmt::format("{} {}: {} ({}{})\n", result.passed ? "PASS" : "FAIL", result.owner,
                           result.command, FormatDuration(result.duration_ns),
                           result.passed ? "" : ", " + result.detail);
      report.tests.push_back(std::move(result));
    }
  } else {
    human << "test: no step or component declares tests:\n";
  }

  // 3. The smoke run.
  if (!args.skip_run) {
    human << fmt::format("smoke run: {}{}\n", path, overrides.empty() ? "" : " with " + Join(overrides, " "))
          << std::flush;
    RETURN_IF_ERROR(SmokeRun(args, pipeline, overrides, human, &report));
    ASSIGN_OR_RETURN(auto stores, OpenAll());
    if (args.baseline == 0) RETURN_IF_ERROR(FindBaseline(*stores.db, report.pipeline, 0, &report));
    std::set<std::string> test_keys;
    ASSIGN_OR_RETURN(auto base, FinalMetrics(*stores.db, report.baseline_run, &test_keys));
    ASSIGN_OR_RETURN(auto current, FinalMetrics(*stores.db, report.smoke_run, &test_keys));
    report.metrics = CompareMetrics(base, current);
    // Test metrics first, as `mlpipe runs metrics` lists them: what a reviewer reads first.
    std::stable_partition(report.metrics.begin(), report.metrics.end(),
                          [&](const MetricChange& m) { return test_keys.count(m.metric) > 0; });
  }

  human << "mlpipe test: " << CiSummaryLine(report) << "\n" << std::flush;
  RETURN_IF_ERROR(WriteReport(args, report));
  if (report.Passed()) return OkStatus();
  return FailedPreconditionError(CiSummaryLine(report));
}

}  // namespace

void AddTestCommand(CLI::App& app, Action* action) {
  static TestArgs args;
  auto* cmd = app.add_subcommand(
      "test", "What a pull request runs: validate, the declared tests:, a smoke run with the ci: params");
  cmd->add_option("pipeline", args.spec.pipeline, "Pipeline YAML file")->required();
  cmd->add_option("-p,--param", args.spec.params,
                  "Override a param after the ci: params: NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--report", args.report, "Also write a report: md (Markdown) or json")
      ->check(CLI::IsMember({"md", "json"}));
  cmd->add_option("--out", args.out, "Write the report to FILE instead of stdout (--report md if not given)");
  cmd->add_option(
      "--baseline", args.baseline,
      "Compare the smoke run's metrics with run RUN (default: the newest succeeded run not started "
      "by mlpipe test)");
  cmd->add_flag("--skip-run", args.skip_run, "Validate and run the tests only; no smoke run");
  cmd->add_flag("--no-cache", args.no_cache,
                "Run every step of the smoke run even if a cached result exists");
  cmd->add_option("-j,--jobs", args.jobs, "Steps the smoke run runs at once (default: number of cores)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--test-timeout", args.test_timeout, "Kill a test after this long (default 10m)");
  cmd->callback([action] { *action = [] { return CmdTest(args); }; });
}

}  // namespace mlpipe::cli
