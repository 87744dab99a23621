// Loading and validating a pipeline YAML file into a PipelineSpec.
//
// Every problem is reported in one pass as a Diagnostic with file, 1-based
// line and column, what is wrong and a hint; a spec is valid exactly when
// there are no diagnostics. The format is described in docs/pipeline-spec.md.
//
// Loading reads the pipeline file, the component files its steps use, and
// (with check_files) stats sources and code files. It never throws; it is
// thread-compatible (distinct calls may run concurrently if the callbacks
// in LoadOptions are thread-safe).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/spec/pipeline.h"

namespace mlpipe::spec {

// One step using a built-in, as check_builtin_params sees it.
struct BuiltinStepView {
  std::string step;     // the step's name
  std::string builtin;  // "split", "train", ...
  // The values the spec fixes: literals, and a value that is exactly
  // ${params.X} as the pipeline param's default; any other template is null
  // (known only when the run resolves it). Unbound params have the
  // component's default.
  nlohmann::json params;
};

// A problem check_builtin_params finds in a step's params.
struct BuiltinParamProblem {
  std::string param;  // the step's param it is about (reported where it is bound)
  std::string message;
  std::string hint;
};

struct LoadOptions {
  // Returns the YAML text describing built-in component NAME (`uses:
  // mlpipe/NAME`): the component file format with `builtin: NAME` instead of
  // `run:`. nullopt for an unknown name. Empty (the default): no built-ins.
  std::function<std::optional<std::string>(const std::string& name)> builtin_resolver;
  // Optional: the names of all built-ins, for "unknown built-in" hints.
  std::function<std::vector<std::string>()> builtin_names;
  // Check that sources, code: files and component files exist (default true;
  // false lets `mlpipe graph` draw a pipeline whose data is not there yet).
  // Component files are read either way when they exist.
  bool check_files = true;
  // Check the model names and aliases of a register: block: OK, or an error
  // whose message says what is wrong (reported at the name's position).
  // Empty: not checked. The engine's DefaultLoadOptions plugs in the
  // registry's rules (metadata/model_names.h).
  std::function<Status(std::string_view)> check_model_name;
  std::function<Status(std::string_view)> check_alias_name;
  // Checks the param values of a step using a built-in, given the built-in
  // steps its inputs are bound to (by input name). Each problem is reported
  // at the param's binding in the step (or at its uses: when the default is
  // what is wrong). Empty: not checked. The engine's DefaultLoadOptions plugs
  // in the built-ins' own rules (ml/builtins.h, CheckBuiltinParams).
  std::function<std::vector<BuiltinParamProblem>(const BuiltinStepView& step,
                                                 const std::map<std::string, BuiltinStepView>& upstream)>
      check_builtin_params;
};

struct LoadResult {
  PipelineSpec spec;                     // as much as could be read, even when invalid
  std::vector<Diagnostic> diagnostics;   // sorted by file, line, column
  bool ok() const { return diagnostics.empty(); }
  // Every diagnostic's ToString(), one after another, each ending in '\n'.
  std::string ErrorText() const;
};

// Reads and validates the pipeline file at `path` (sources resolve against
// its folder). A file that cannot be read gives one diagnostic.
LoadResult LoadPipelineFile(const std::string& path, const LoadOptions& options = {});

// Same for YAML text: `file_name` is used in messages and as
// PipelineSpec::file; `dir` is the folder sources and components resolve
// against (made absolute).
LoadResult LoadPipelineString(std::string_view text, const std::string& file_name, const std::string& dir,
                              const LoadOptions& options = {});

}  // namespace mlpipe::spec
