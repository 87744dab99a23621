// mlpipe ab PIPELINE_A PIPELINE_B: an offline A/B test of two whole
// pipelines. Runs A then B in this workspace (the cache shares their unchanged
// steps), checks that they read the same data, scores both models on the same
// test rows and reports per-metric deltas with paired bootstrap intervals, the
// training time and size of each model, and a verdict (docs/ab-testing.md).
#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "mlpipe/base/strings.h"
#include "mlpipe/cli/commands.h"
#include "mlpipe/cli/local_env.h"
#include "mlpipe/cli/workspace.h"
#include "mlpipe/engine/ab_compare.h"
#include "mlpipe/engine/ab_record.h"
#include "mlpipe/engine/ab_score.h"
#include "mlpipe/engine/ab_setup.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/engine/pipeline_run.h"
#include "mlpipe/spec/params.h"

namespace mlpipe::cli {
namespace {

constexpr const char* kAbTrigger = "ab";

struct AbArgs {
  std::string pipeline_a, pipeline_b;
  std::vector<std::string> params;   // -p NAME=VALUE, to each pipeline that declares NAME
  std::vector<std::string> metrics;  // --metric; empty = every metric of the task
  std::string model_a, model_b;      // --model-a/--model-b STEP.OUTPUT; "" = the pipeline's own
  std::string test;                  // --test STEP.OUTPUT of A; "" = A's evaluate step's test input
  int resamples = 1000;
  uint64_t seed = 1;
  double confidence = 0.95;
  int jobs = 0;
  bool json = false;
};

// One side of the test, as far as it is known.
struct Arm {
  explicit Arm(const char* l) : label(l) {}
  const char* label;  // "A" or "B"
  engine::LoadedPipeline pipeline;
  std::vector<std::string> overrides;
  engine::ArtifactPick model_pick;
  engine::AbRun record;
  std::string model_ref;
  uint64_t model_bytes = 0;
  engine::TrainingTime training;
  std::shared_ptr<const ml::LoadedModel> model;
};

// Flags checked before anything runs.
Status CheckFlags(const AbArgs& args) {
  if (args.resamples < 100) {
    return InvalidArgumentError(fmt::format(
        "--resamples {}: at least 100 are needed for a percentile interval (default 1000)", args.resamples));
  }
  if (!(args.confidence > 0 && args.confidence < 1)) {
    return InvalidArgumentError(
        fmt::format("--confidence {}: must be in (0, 1), e.g. 0.95", args.confidence));
  }
  const std::vector<std::string> known = engine::AllMetricNames();
  for (const std::string& m : args.metrics) {
    if (std::find(known.begin(), known.end(), m) != known.end()) continue;
    const std::string guess = ClosestMatch(m, known);
    return InvalidArgumentError(fmt::format("--metric {}: unknown metric{}; known: {}", m,
                                            guess.empty() ? "" : fmt::format(" (did you mean '{}'?)", guess),
                                            Join(known, ", ")));
  }
  return OkStatus();
}

// Runs one side as `mlpipe run` would, recorded with trigger "ab"; its
// progress goes to stderr so that stdout holds the report alone.
Status RunArm(const store::Workspace& ws, const AbArgs& args, Arm* arm) {
  std::cerr << fmt::format("mlpipe ab: running {}: {}{}\n", arm->label, arm->pipeline.spec.file,
                           arm->overrides.empty() ? "" : " with -p " + Join(arm->overrides, " -p "))
            << std::flush;
  engine::RunOptions options;
  options.parallelism = args.jobs;
  options.progress = exec::ProgressMode::kPlain;
  options.out = &std::cerr;
  options.err = &std::cerr;
  options.trigger = kAbTrigger;
  ASSIGN_OR_RETURN(LocalEnv local, OpenLocalEnv(ws));
  ASSIGN_OR_RETURN(auto report, engine::RunPipeline(local.env, ws, arm->pipeline, options));
  if (report.outcome.interrupted) return CancelledError(fmt::format("run {} interrupted", report.run_id));
  if (!report.outcome.ok) {
    return FailedPreconditionError(
        fmt::format("run {} of {} ({}) failed; nothing was compared (mlpipe runs logs "
                    "{} STEP shows a step's output)",
                    report.run_id, arm->label, arm->pipeline.spec.file, report.run_id, report.run_id));
  }
  arm->record.run.id = report.run_id;
  return OkStatus();
}

// The arm's model from the store: its digest, size and loaded package.
Status LoadArmModel(metadata::MetadataStore& db, store::ObjectStore& objects, Arm* arm) {
  ASSIGN_OR_RETURN(arm->model_ref, engine::PickedRef(arm->record, arm->model_pick));
  ASSIGN_OR_RETURN(metadata::Artifact artifact, db.GetArtifact(arm->model_ref));
  arm->model_bytes = artifact.size;
  ASSIGN_OR_RETURN(std::string dir, objects.Materialize(arm->model_ref));
  auto model = ml::LoadModelPackage(dir);
  if (!model.ok()) {
    return model.status().WithContext(
        fmt::format("model {} ({} of run {})", arm->label, arm->model_pick.Label(), arm->record.run.id));
  }
  arm->model = std::move(model).value();
  ASSIGN_OR_RETURN(arm->training, engine::TrainingTimeOf(db, arm->record, arm->model_ref));
  return OkStatus();
}

std::string Num(double v) { return fmt::format("{:.4f}", v); }
std::string Signed(double v) { return fmt::format("{:+.4f}", v); }

// "0.14 s", "0.14 s in run 3" (cached here), or why there is no time.
std::string TrainingText(const Arm& arm) {
  const engine::TrainingTime& t = arm.training;
  if (t.step.empty()) return "not trained by this run";
  if (!t.step_seconds) return "time unknown (the run that trained it was deleted)";
  if (t.computed_in_run == arm.record.run.id) return fmt::format("{:.2f} s", *t.step_seconds);
  return fmt::format("{:.2f} s in run {}", *t.step_seconds, t.computed_in_run);
}

nlohmann::json TrainingJson(const engine::TrainingTime& t) {
  return {{"step", t.step.empty() ? nlohmann::json() : nlohmann::json(t.step)},
          {"step_seconds", t.step_seconds ? nlohmann::json(*t.step_seconds) : nlohmann::json()},
          {"computed_in_run", t.computed_in_run == 0 ? nlohmann::json() : nlohmann::json(t.computed_in_run)},
          {"run_seconds", t.run_seconds}};
}

nlohmann::json ArmRunJson(const Arm& arm) {
  return {{"run", arm.record.run.id},
          {"pipeline", arm.pipeline.spec.name},
          {"file", arm.pipeline.spec.file},
          {"params", arm.pipeline.params}};
}

// "train.model", or the pick itself when no step of the run wrote it.
std::string Written(const engine::AbRun& run, const engine::ArtifactPick& pick, const std::string& ref) {
  const std::string producer = engine::ProducerOf(run, ref);
  return producer.empty() ? pick.Label() : producer;
}

nlohmann::json ArmModelJson(const Arm& arm) {
  return {{"ref", arm.model_ref},
          {"from", Written(arm.record, arm.model_pick, arm.model_ref)},
          {"chosen_by", arm.model_pick.why},
          {"task", ml::TaskName(arm.model->task())}};
}

// Everything the report says, gathered once for both forms.
struct AbReport {
  std::vector<engine::SharedStep> shared;
  std::map<std::string, engine::SourceRead> sources;  // of A, by absolute path
  engine::ArtifactPick test_pick;
  std::string test_ref;
  size_t test_rows = 0;
  std::string test_note;  // "" when B's evaluate read A's rows (or B has none)
  std::vector<engine::AbMetric> metrics;
  std::string primary;
  std::string verdict;
};

void PrintText(const AbArgs& args, const Arm& a, const Arm& b, const AbReport& r) {
  std::vector<std::string> shared;
  for (const auto& s : r.shared)
    shared.push_back(s.step_b == s.step_a ? s.step_b : s.step_b + " (A's " + s.step_a + ")");
  std::cout << fmt::format("A: run {} of {} ({})\n", a.record.run.id, a.pipeline.spec.name,
                           a.pipeline.spec.file);
  std::cout << fmt::format("B: run {} of {} ({}); steps shared with A through the cache: {}\n",
                           b.record.run.id, b.pipeline.spec.name, b.pipeline.spec.file,
                           shared.empty() ? "none" : Join(shared, ", "));
  std::cout << fmt::format("test rows: {} of run {} ({}, {}), {} rows{}\n",
                           Written(a.record, r.test_pick, r.test_ref), a.record.run.id, r.test_pick.why,
                           r.test_ref.substr(0, 19), r.test_rows,
                           r.test_note.empty() ? "" : "; " + r.test_note);
  for (const Arm* arm : {&a, &b}) {
    std::cout << fmt::format("model {}: {} ({}), {} model, {}; trained in {}; run took {:.2f} s\n",
                             arm->label, Written(arm->record, arm->model_pick, arm->model_ref),
                             arm->model_pick.why, ml::TaskName(arm->model->task()),
                             FormatBytes(arm->model_bytes), TrainingText(*arm), arm->training.run_seconds);
  }
  std::cout << "\n";
  const std::string interval = fmt::format("{:g} % interval", args.confidence * 100);
  size_t width = 6;
  for (const auto& m : r.metrics) width = std::max(width, m.name.size());
  std::cout << fmt::format("{:<{}}  {:>8}  {:>8}  {:>9}  {:<20}  {}\n", "metric", width, "A", "B",
                           "delta B-A", interval, "reading");
  for (const auto& m : r.metrics) {
    std::cout << fmt::format("{:<{}}  {:>8}  {:>8}  {:>9}  {:<20}  {}\n", m.name, width, Num(m.a), Num(m.b),
                             Signed(m.delta), fmt::format("[{}, {}]", Signed(m.lo), Signed(m.hi)),
                             engine::AbWinnerText(m.winner));
  }
  std::cout << fmt::format("\nbootstrap: paired, {} resamples, seed {}, confidence {}\n", args.resamples,
                           args.seed, args.confidence);
  std::cout << "verdict: " << r.verdict << "\n";
}

nlohmann::json ReportJson(const AbArgs& args, const Arm& a, const Arm& b, const AbReport& r) {
  nlohmann::json shared = nlohmann::json::array();
  for (const auto& s : r.shared)
    shared.push_back({{"step", s.step_b}, {"a_step", s.step_a}, {"cache_key", s.cache_key}});
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& [abs, read] : r.sources) sources.push_back({{"path", read.path}, {"ref", read.ref}});
  nlohmann::json metrics = nlohmann::json::array();
  const engine::AbMetric* primary = nullptr;
  for (const auto& m : r.metrics) {
    metrics.push_back(engine::AbMetricJson(m));
    if (m.name == r.primary) primary = &m;
  }
  return {
      {"runs", {{"a", ArmRunJson(a)}, {"b", ArmRunJson(b)}}},
      {"shared_steps", shared},
      {"sources", sources},
      {"test",
       {{"ref", r.test_ref},
        {"rows", r.test_rows},
        {"from", Written(a.record, r.test_pick, r.test_ref)},
        {"run", a.record.run.id},
        {"note", r.test_note.empty() ? nlohmann::json() : nlohmann::json(r.test_note)}}},
      {"models", {{"a", ArmModelJson(a)}, {"b", ArmModelJson(b)}}},
      {"metrics", metrics},
      {"primary", r.primary},
      {"winner", primary != nullptr ? engine::AbWinnerKey(primary->winner) : "none"},
      {"verdict", r.verdict},
      {"training_seconds", {{"a", TrainingJson(a.training)}, {"b", TrainingJson(b.training)}}},
      {"model_bytes", {{"a", a.model_bytes}, {"b", b.model_bytes}}},
      {"bootstrap", {{"resamples", args.resamples}, {"seed", args.seed}, {"confidence", args.confidence}}}};
}

Status CmdAb(const AbArgs& args) {
  // As `mlpipe run`: a reader that goes away must not kill a run half way.
  signal(SIGPIPE, SIG_IGN);

  // 1. Everything that can be wrong with the input is found before anything runs.
  RETURN_IF_ERROR(CheckFlags(args));
  Arm a("A"), b("B");
  ASSIGN_OR_RETURN(a.pipeline, engine::LoadPipelineForRun(args.pipeline_a, {}));
  ASSIGN_OR_RETURN(b.pipeline, engine::LoadPipelineForRun(args.pipeline_b, {}));
  ASSIGN_OR_RETURN(engine::SplitOverrides split,
                   engine::SplitParamOverrides(a.pipeline.spec, b.pipeline.spec, args.params));
  a.overrides = std::move(split.a);
  b.overrides = std::move(split.b);
  ASSIGN_OR_RETURN(a.pipeline.params, spec::ApplyParamOverrides(a.pipeline.spec, a.overrides));
  ASSIGN_OR_RETURN(b.pipeline.params, spec::ApplyParamOverrides(b.pipeline.spec, b.overrides));
  ASSIGN_OR_RETURN(a.model_pick, engine::PickModel(a.pipeline.spec, args.model_a, "--model-a"));
  ASSIGN_OR_RETURN(b.model_pick, engine::PickModel(b.pipeline.spec, args.model_b, "--model-b"));
  AbReport report;
  ASSIGN_OR_RETURN(report.test_pick, engine::PickTest(a.pipeline.spec, args.test));
  const std::optional<engine::ArtifactPick> b_test = engine::EvaluateTestInput(b.pipeline.spec);

  // 2. The two runs, one after the other, in this workspace.
  ASSIGN_OR_RETURN(store::Workspace ws, OpenWorkspace(true));
  RETURN_IF_ERROR(RunArm(ws, args, &a));
  RETURN_IF_ERROR(RunArm(ws, args, &b));

  // 3. Read back what they did: the same data, what they shared, the models.
  ASSIGN_OR_RETURN(OpenStores stores, OpenAll());
  ASSIGN_OR_RETURN(a.record, engine::ReadAbRun(*stores.db, a.record.run.id));
  ASSIGN_OR_RETURN(b.record, engine::ReadAbRun(*stores.db, b.record.run.id));
  report.sources = engine::SourcesRead(a.record, a.pipeline.spec);
  const std::vector<engine::SourceChange> changed =
      engine::ChangedSources(report.sources, engine::SourcesRead(b.record, b.pipeline.spec));
  if (!changed.empty()) return engine::SnapshotError(changed, a.record.run.id, b.record.run.id);
  report.shared = engine::SharedSteps(a.record, b.record);
  RETURN_IF_ERROR(LoadArmModel(*stores.db, *stores.objects, &a));
  RETURN_IF_ERROR(LoadArmModel(*stores.db, *stores.objects, &b));
  RETURN_IF_ERROR(engine::CheckComparable(*a.model, *b.model));

  // 4. Both models on A's test rows.
  ASSIGN_OR_RETURN(report.test_ref, engine::PickedRef(a.record, report.test_pick));
  if (b_test) {
    auto b_ref = engine::PickedRef(b.record, *b_test);
    if (b_ref.ok() && *b_ref != report.test_ref) {
      report.test_note = fmt::format("B's evaluate read other rows ({}): both models are scored on A's",
                                     b_ref->substr(0, 19));
    }
  }
  ASSIGN_OR_RETURN(metadata::Artifact test_artifact, stores.db->GetArtifact(report.test_ref));
  if (test_artifact.is_dir) {
    return InvalidArgumentError(
        fmt::format("the test rows {} are a folder; name a CSV output with --test STEP.OUTPUT",
                    report.test_pick.Label()));
  }
  ASSIGN_OR_RETURN(std::string test_path, stores.objects->Materialize(report.test_ref));
  ASSIGN_OR_RETURN(engine::ScoredModel scored_a, engine::ScoreModelOn(*a.model, test_path, "model A"));
  ASSIGN_OR_RETURN(engine::ScoredModel scored_b, engine::ScoreModelOn(*b.model, test_path, "model B"));
  report.test_rows = scored_a.y.size();

  std::vector<std::string> names =
      args.metrics.empty() ? engine::DefinedMetrics(scored_a, scored_b) : args.metrics;
  report.primary = !args.metrics.empty() ? args.metrics[0]
                                         : engine::EvaluateMetricParam(a.pipeline.spec, a.pipeline.params);
  if (report.primary.empty()) report.primary = engine::DefaultPrimaryMetric(a.model->task());
  if (std::find(names.begin(), names.end(), report.primary) == names.end())
    names.insert(names.begin(), report.primary);
  const stats::BootstrapOptions options{
      .resamples = args.resamples, .seed = args.seed, .confidence = args.confidence};
  ASSIGN_OR_RETURN(report.metrics, engine::CompareModels(scored_a, scored_b, names, options));
  for (const auto& m : report.metrics) {
    if (m.name == report.primary) report.verdict = engine::AbVerdict(m, args.confidence);
  }

  if (args.json) {
    std::cout << ReportJson(args, a, b, report).dump(2) << "\n";
  } else {
    PrintText(args, a, b, report);
  }
  return OkStatus();
}

}  // namespace

void AddAbCommand(CLI::App& app, Action* action) {
  static AbArgs args;
  auto* cmd = app.add_subcommand(
      "ab",
      "Offline A/B test of two pipelines: run both on one data snapshot, score both models on the same rows");
  cmd->add_option("pipeline_a", args.pipeline_a, "Pipeline YAML file of A (the current pipeline)")
      ->required();
  cmd->add_option("pipeline_b", args.pipeline_b, "Pipeline YAML file of B (the challenger)")->required();
  cmd->add_option("-p,--param", args.params,
                  "Override a param of each pipeline that declares it: NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option(
         "--metric", args.metrics,
         "Compare on this metric (repeatable; the first is the verdict's; default: every metric of the "
         "task)")
      ->allow_extra_args(false);
  cmd->add_option("--model-a", args.model_a,
                  "A's model as STEP.OUTPUT (default: its register: entry's from)");
  cmd->add_option("--model-b", args.model_b,
                  "B's model as STEP.OUTPUT (default: its register: entry's from)");
  cmd->add_option("--test", args.test,
                  "The test rows as STEP.OUTPUT of A (default: A's evaluate step's test input)");
  cmd->add_option("--resamples", args.resamples, "Bootstrap resamples (default 1000, at least 100)");
  cmd->add_option("--seed", args.seed, "Bootstrap seed (default 1)");
  cmd->add_option("--confidence", args.confidence, "Two-sided confidence of the intervals (default 0.95)");
  cmd->add_option("-j,--jobs", args.jobs, "Steps each run runs at once (default: number of cores)")
      ->check(CLI::Range(1, 4096));
  cmd->add_flag("--json", args.json, "Print the report as one JSON document");
  cmd->callback([action] { *action = [] { return CmdAb(args); }; });
}

}  // namespace mlpipe::cli
