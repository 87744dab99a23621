// Internal: a component file (or a built-in's description) parsed and
// checked on its own, before any step binds it.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/spec/code_files.h"
#include "mlpipe/spec/decl_parse.h"
#include "mlpipe/spec/pipeline.h"

namespace mlpipe::spec::internal {

struct ComponentSpec {
  std::string name;  // component: (or builtin: for built-ins)
  std::string description;
  std::string file;                // path for messages
  std::string dir;                 // absolute folder of the file; "" for built-ins
  std::string builtin;             // built-in name, "" for command components
  std::vector<OutputSpec> inputs;  // declared inputs with types
  std::vector<OutputSpec> outputs;
  std::vector<ParamSpec> params;
  // Built-ins only (`step_defined: [params, inputs, outputs]`): a step using
  // it may bind params and inputs the component does not declare, and declare
  // outputs of its own beside the component's (mlpipe/notebook passes them
  // all to the notebook).
  bool step_defined_params = false;
  bool step_defined_inputs = false;
  bool step_defined_outputs = false;
  std::vector<std::string> command;
  bool shell = false;
  std::map<std::string, std::string> env;
  std::string workdir;
  std::vector<std::string> code_files;  // absolute, normalized
  std::vector<std::string> tests;       // tests: commands, run in `dir` by `mlpipe test`
  std::string digest;                   // Sha256Hex of the text
  bool valid = false;                   // no diagnostics while parsing
  // What each step using it keeps (StepSpec::component); null if parsing
  // stopped early.
  std::shared_ptr<const ComponentRef> ref;
};

// Parses a component. `builtin_name` non-empty: the text came from the
// built-in resolver for that name and must say `builtin: NAME` instead of
// `run:`. Problems go to `diags` (located in `file`); the result is still
// returned, with valid == false.
std::shared_ptr<const ComponentSpec> ParseComponent(std::string_view text, const std::string& file,
                                                    const std::string& dir, const std::string& builtin_name,
                                                    bool check_files, CodeFileDetector& detector,
                                                    std::vector<Diagnostic>* diags);

}  // namespace mlpipe::spec::internal
