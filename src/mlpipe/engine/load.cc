#include "mlpipe/engine/load.h"

#include <fmt/format.h>

#include "mlpipe/metadata/model_names.h"
#include "mlpipe/ml/builtins.h"
#include "mlpipe/spec/params.h"

namespace mlpipe::engine {

spec::LoadOptions DefaultLoadOptions() {
  spec::LoadOptions options;
  options.builtin_resolver = [](const std::string& name) { return ml::BuiltinComponentYaml(name); };
  options.builtin_names = [] { return ml::BuiltinNames(); };
  options.check_model_name = [](std::string_view name) { return metadata::ValidateModelName(name); };
  options.check_alias_name = [](std::string_view alias) { return metadata::ValidateAliasName(alias); };
  options.check_builtin_params = [](const spec::BuiltinStepView& step,
                                    const std::map<std::string, spec::BuiltinStepView>& upstream) {
    std::map<std::string, ml::BuiltinUpstream> from;
    for (const auto& [input, view] : upstream)
      from[input] = ml::BuiltinUpstream{view.step, view.builtin, view.params};
    std::vector<spec::BuiltinParamProblem> problems;
    for (ml::ParamProblem& p : ml::CheckBuiltinParams(step.builtin, step.params, from)) {
      problems.push_back({std::move(p.param), std::move(p.message), std::move(p.hint)});
    }
    return problems;
  };
  return options;
}

StatusOr<LoadedPipeline> LoadPipelineForRun(const std::string& path, const std::vector<std::string>& overrides,
                                            bool check_files) {
  spec::LoadOptions options = DefaultLoadOptions();
  options.check_files = check_files;
  spec::LoadResult result = spec::LoadPipelineFile(path, options);
  if (!result.ok()) {
    size_t n = result.diagnostics.size();
    return InvalidArgumentError(fmt::format("{}{} error{} in {}; nothing was run", result.ErrorText(), n,
                                            n == 1 ? "" : "s", path));
  }
  LoadedPipeline loaded;
  ASSIGN_OR_RETURN(loaded.params, spec::ApplyParamOverrides(result.spec, overrides));
  loaded.spec = std::move(result.spec);
  return loaded;
}

}  // namespace mlpipe::engine
