// mlpipe validate, mlpipe graph.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlpipe/cli/commands.h"
#include "mlpipe/engine/load.h"
#include "mlpipe/spec/graph_export.h"
#include "mlpipe/spec/params.h"

namespace mlpipe::cli {

Status CmdValidate(const SpecArgs& args, bool json) {
  spec::LoadResult result = spec::LoadPipelineFile(args.pipeline, engine::DefaultLoadOptions());
  if (result.ok() && !args.params.empty()) {
    auto params = spec::ApplyParamOverrides(result.spec, args.params);
    if (!params.ok() && !json) return params.status();
    if (!params.ok()) {
      // A bad -p has no place in the file: reported at line 0 of the pipeline
      // file, in the same shape as the spec's errors.
      result.diagnostics.push_back(spec::Diagnostic{spec::SourceLocation{args.pipeline, 0, 0},
                                                    std::string(params.status().message()),
                                                    "-p NAME=VALUE sets a param declared under params: in "
                                                    "the pipeline file, with a value of its type"});
    }
  }
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : result.diagnostics) {
      out.push_back({{"file", d.loc.file.str()},
                     {"line", d.loc.line},
                     {"column", d.loc.column},
                     {"message", d.message},
                     {"hint", d.hint}});
    }
    std::cout << nlohmann::json{{"valid", result.ok()}, {"errors", out}}.dump(2) << "\n";
    return result.ok() ? OkStatus() : InvalidArgumentError("");
  }
  if (!result.ok()) {
    std::cerr << result.ErrorText();
    size_t n = result.diagnostics.size();
    return InvalidArgumentError(fmt::format("{} error{} in {}", n, n == 1 ? "" : "s", args.pipeline));
  }
  std::cout << fmt::format("{}: pipeline '{}' is valid ({} step{}, {} param{})\n", args.pipeline,
                           result.spec.name, result.spec.steps.size(), result.spec.steps.size() == 1 ? "" : "s",
                           result.spec.params.size(), result.spec.params.size() == 1 ? "" : "s");
  return OkStatus();
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
