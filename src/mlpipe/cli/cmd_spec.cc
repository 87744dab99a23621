// mlpipe validate, mlpipe graph.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "mlpipe/cli/commands.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/spec/challengers.h"
#include "mlpipe/spec/graph_export.h"
#include "mlpipe/spec/params.h"
#include "mlpipe/spec/trigger_loops.h"

namespace mlpipe::cli {

namespace {

// Loads one pipeline file and applies the -p overrides to it: its
// diagnostics, a bad -p among them (at line 0 of the file), or a bad -p alone
// as a Status (text output).
StatusOr<spec::LoadResult> LoadForValidate(const std::string& path, const std::vector<std::string>& overrides,
                                           bool json) {
  spec::LoadResult result = spec::LoadPipelineFile(path, engine::DefaultLoadOptions());
  if (result.ok() && !overrides.empty()) {
    auto params = spec::ApplyParamOverrides(result.spec, overrides);
    if (!params.ok() && !json) return params.status();
    if (!params.ok()) {
      // A bad -p has no place in the file: reported at line 0 of the pipeline
      // file, in the same shape as the spec's errors.
      result.diagnostics.push_back(spec::Diagnostic{spec::SourceLocation{path, 0, 0},
                                                    std::string(params.status().message()),
                                                    "-p NAME=VALUE sets a param declared under params: in "
                                                    "the pipeline file, with a value of its type"});
    }
  }
  return result;
}

std::string Plural(size_t n, const char* word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

// ", deploys lending-club: 2 gates, canary 5/25/50/100 %", or "".
std::string DeploySummary(const spec::PipelineSpec& s) {
  if (!s.deploy) return "";
  const spec::RolloutSpec& r = s.deploy->rollout;
  std::string rollout = spec::RolloutStrategyName(r.strategy);
  if (r.strategy != spec::RolloutStrategy::kManual) rollout += fmt::format(" {} %", fmt::join(r.steps, "/"));
  return fmt::format(", deploys {}{}: {}, {}{}", s.deploy->model,
                     s.deploy->deployment == s.deploy->model ? "" : " to " + s.deploy->deployment,
                     Plural(s.deploy->gates.size(), "gate"), rollout,
                     s.challenger_of.empty() ? "" : ", challenger of " + s.challenger_of);
}

}  // namespace

Status CmdValidate(const SpecArgs& args, const std::vector<std::string>& more, bool json) {
  std::vector<std::string> paths = {args.pipeline};
  paths.insert(paths.end(), more.begin(), more.end());
  std::vector<spec::LoadResult> results;
  for (const auto& path : paths) {
    auto result = LoadForValidate(path, args.params, json);
    if (!result.ok()) return result.status();
    results.push_back(std::move(result).value());
  }
  // Loops through register: and on_model: among the pipelines that loaded.
  std::vector<const spec::PipelineSpec*> valid;
  for (const auto& r : results) {
    if (r.ok()) valid.push_back(&r.spec);
  }
  const std::vector<spec::Diagnostic> loops = spec::CheckTriggerLoops(valid);
  // challenger_of: checked against the pipeline it names when that is given too.
  const std::vector<spec::Diagnostic> challengers = spec::CheckChallengers(valid, /*complete=*/false);
  std::vector<spec::Diagnostic> all;
  for (const auto& r : results) all.insert(all.end(), r.diagnostics.begin(), r.diagnostics.end());
  all.insert(all.end(), loops.begin(), loops.end());
  all.insert(all.end(), challengers.begin(), challengers.end());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : all) {
      out.push_back({{"file", d.loc.file.str()},
                     {"line", d.loc.line},
                     {"column", d.loc.column},
                     {"message", d.message},
                     {"hint", d.hint}});
    }
    std::cout << nlohmann::json{{"valid", all.empty()}, {"errors", out}}.dump(2) << "\n";
    return all.empty() ? OkStatus() : InvalidArgumentError("");
  }
  std::vector<std::string> bad_files;
  for (size_t i = 0; i < results.size(); ++i) {
    const spec::LoadResult& r = results[i];
    if (!r.ok()) {
      std::cerr << r.ErrorText();
      bad_files.push_back(paths[i]);
      continue;
    }
    if (!loops.empty() || !challengers.empty()) continue;  // valid alone, not together
    const spec::PipelineSpec& s = r.spec;
    std::cout << fmt::format(
        "{}: pipeline '{}' is valid ({}, {}{}{})\n", paths[i], s.name, Plural(s.steps.size(), "step"),
        Plural(s.params.size(), "param"),
        s.triggers.empty() ? std::string() : fmt::format(", {}", Plural(s.triggers.size(), "trigger")),
        DeploySummary(s));
  }
  std::vector<spec::Diagnostic> together = loops;
  together.insert(together.end(), challengers.begin(), challengers.end());
  for (const auto& d : together) std::cerr << d.ToString() << "\n";
  if (all.empty()) return OkStatus();
  for (const auto& d : together) {
    if (std::find(bad_files.begin(), bad_files.end(), d.loc.file.str()) == bad_files.end()) {
      bad_files.push_back(d.loc.file.str());
    }
  }
  return InvalidArgumentError(
      fmt::format("{} in {}", Plural(all.size(), "error"), fmt::join(bad_files, ", ")));
}

Status CmdGraph(const SpecArgs& args, const std::string& format) {
  spec::LoadOptions options = engine::DefaultLoadOptions();
  options.check_files = false;
  spec::LoadResult result = spec::LoadPipelineFile(args.pipeline, options);
  if (!result.ok()) {
    std::cerr << result.ErrorText();
    return InvalidArgumentError(fmt::format("{} is not valid", args.pipeline));
  }
  std::cout << (format == "mermaid" ? spec::ToMermaid(result.spec) : spec::ToDot(result.spec));
  return OkStatus();
}

}  // namespace mlpipe::cli
