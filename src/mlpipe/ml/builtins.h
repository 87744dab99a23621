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
inline constexpr int kBuiltinsVersion = 2;

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

// A param value (or combination) a built-in refuses.
struct ParamProblem {
  std::string param;  // the step's param it is about
  std::string message;
  std::string hint;  // "" if none
};

// What a step's checks may know about the built-in step bound to one of its
// inputs (e.g. train's `transform`).
struct BuiltinUpstream {
  std::string step;     // its step name, for messages
  std::string builtin;  // "transform", ...
  nlohmann::json params;
};

// Checks the param values of built-in `name` alone and together (enums,
// ranges, contradictions such as rng sklearn with method time), and against
// the built-in steps its inputs are bound to (`upstream`, by input name).
// `mlpipe validate` calls it with the values the spec fixes; the step calls
// it with every value resolved. A param that is absent or null is not known
// yet (a template) and passes every check that needs it. Empty when all is
// well or `name` is unknown.
std::vector<ParamProblem> CheckBuiltinParams(const std::string& name, const nlohmann::json& params,
                                             const std::map<std::string, BuiltinUpstream>& upstream = {});

// Runs a built-in. NotFound for an unknown name (with a did-you-mean);
// InvalidArgument for a missing input/output binding, a bad parameter (every
// CheckBuiltinParams problem, before anything is read) or unusable data; FailedPrecondition when a check the
// user asked for fails (validate with fail_on_anomalies, evaluate with fail_if_not_blessed).
Status RunBuiltin(const BuiltinInvocation& invocation);

}  // namespace mlpipe::ml
