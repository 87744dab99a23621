// Building the command of one step execution: placeholders expanded,
// relative script paths made absolute (steps run in a fresh, empty working
// folder), and the environment every step gets:
//   MLPIPE_RUN_ID, MLPIPE_STEP, MLPIPE_PIPELINE, MLPIPE_PIPELINE_DIR,
//   MLPIPE_METRICS (a file to append metrics to), MLPIPE_ATTEMPT,
//   MLPIPE_INPUT_<NAME> and MLPIPE_OUTPUT_<NAME> (NAME upper-cased, '-' -> '_';
//   left out, and MLPIPE_PATH_VARIABLES set to say why, when together they
//   exceed kMaxPathVariableBytes),
// plus the step's own `env:` (expanded), on top of mlpipe's own environment.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"
#include "mlpipe/exec/command_runner.h"
#include "mlpipe/spec/pipeline.h"

namespace mlpipe::engine {

struct StepInvocation {
  const spec::PipelineSpec* spec = nullptr;
  const spec::StepSpec* step = nullptr;
  int64_t run_id = 0;
  int attempt = 1;
  nlohmann::json params;                       // the step's ${params.X} scope
  std::map<std::string, std::string> inputs;   // name -> readable path
  std::map<std::string, std::string> outputs;  // name -> path to write
  std::string work_dir;      // fresh empty folder (used unless the step sets workdir:)
  std::string metrics_path;  // MLPIPE_METRICS
  std::string stdout_path;
  std::string stderr_path;
  std::string invocation_path;  // built-ins: where the invocation JSON is written
  std::string script_path;      // shell steps too long for one argument: where the script is written
  std::string self_exe;         // built-ins: the mlpipe binary
};

// A shell command longer than this is run from a script file (`/bin/sh FILE`)
// instead of `/bin/sh -c TEXT`: Linux caps one argument at 128 KiB
// (MAX_ARG_STRLEN), which a join over 1,000 store paths exceeds.
inline constexpr size_t kMaxShellArgBytes = 64 * 1024;

// The most bytes of environment the MLPIPE_INPUT_/MLPIPE_OUTPUT_ variables
// may take; past it none is set. Linux caps a program's arguments plus
// environment at ARG_MAX (a quarter of the stack limit: 2 MiB by default),
// and a join over 10,000 store paths (about 1.2 MB of arguments) would not
// start with another 1.3 MB of the same paths in its environment.
inline constexpr size_t kMaxPathVariableBytes = 256 * 1024;

// The Command to run. For a built-in, also writes the invocation JSON
// ({"name", "inputs", "outputs", "params", "metrics_path", and "config" when
// the step gives its built-in settings: spec::ComponentRef::builtin_config}) to
// invocation_path; for a long shell command, the script to script_path.
// NotFound/InvalidArgument if a placeholder cannot be expanded.
StatusOr<exec::Command> BuildStepCommand(const StepInvocation& inv);

// The folder a step's relative code paths resolve against: the component
// file's folder for `uses: ./x.yaml` steps, else the pipeline's folder.
std::string StepBaseDir(const spec::PipelineSpec& spec, const spec::StepSpec& step);

}  // namespace mlpipe::engine
