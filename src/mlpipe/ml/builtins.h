// The built-in components the pipeline engine runs by name (`uses:
// mlpipe/NAME`): stats, schema, validate, split, transform, train, evaluate,
// predict, notebook. Each is declared in the component-file format (typed
// inputs, outputs and params with defaults; `builtin: NAME` instead of
// `run:`) and implemented in ml/components/ (natively; notebook through a
// Python program with nbclient).
//
// The engine runs each built-in in its own process (`mlpipe builtin NAME
// ...`), so RunBuiltin may use memory freely; it never throws and reports
// every failure as a Status with a message a person can act on (e.g.
// "target column 'Class' not found; columns are: ...").
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"

namespace mlpipe::ml {

// Bumped when a built-in's behaviour changes: part of the engine's cache key.
inline constexpr int kBuiltinsVersion = 1;

struct BuiltinInvocation {
  std::string name;  // "train", ...
  // Input name -> existing read-only path (file or folder). Optional inputs
  // that are not bound are absent.
  std::map<std::string, std::string> inputs;
  // Output name -> path to create (file or folder); must not exist yet.
  std::map<std::string, std::string> outputs;
  // Resolved, typed parameter values; absent ones take the declared default.
  nlohmann::json params = nlohmann::json::object();
  // A file to append JSON lines {"name", "value", "step"?} to (the
  // MLPIPE_METRICS protocol); "" = do not record metrics.
  std::string metrics_path;
  // Settings the step gives the built-in beside params (spec::ComponentRef::
  // builtin_config; notebook: {"notebook", "path", "cell_timeout", "step_timeout"}); null if
  // none.
  nlohmann::json config;
  // Progress and summaries for people; may be null.
  std::ostream* log = nullptr;
};

// Names of all built-ins, sorted.
std::vector<std::string> BuiltinNames();

// The component declaration (YAML text) of built-in `name`, or nullopt.
std::optional<std::string> BuiltinComponentYaml(const std::string& name);

// Runs a built-in. NotFound for an unknown name (with a did-you-mean);
// InvalidArgument for a missing input/output binding, a bad parameter or
// unusable data; FailedPrecondition when a check the user asked for fails
// (validate with fail_on_anomalies, evaluate with fail_if_not_blessed).
Status RunBuiltin(const BuiltinInvocation& invocation);

}  // namespace mlpipe::ml
