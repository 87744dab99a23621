// mlpipe builtin NAME --invocation FILE: the process the engine spawns for a
// built-in component step. Reads the invocation JSON the engine wrote
// (inputs, outputs, params, metrics_path, config) and runs the component in this
// process, so built-ins get the same isolation, timeouts, retries and
// process-group handling as any command.
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "mlpipe/cli/commands.h"
#include "mlpipe/ml/builtins.h"

namespace mlpipe::cli {

Status CmdBuiltin(const std::string& name, const std::string& invocation_path) {
  std::ifstream f(invocation_path);
  if (!f) return NotFoundError("cannot read invocation " + invocation_path);
  std::stringstream ss;
  ss << f.rdbuf();
  auto j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgumentError("invocation is not a JSON object");
  ml::BuiltinInvocation inv;
  inv.name = name;
  try {
    inv.inputs = j.value("inputs", std::map<std::string, std::string>{});
    inv.outputs = j.value("outputs", std::map<std::string, std::string>{});
    inv.params = j.value("params", nlohmann::json::object());
    inv.metrics_path = j.value("metrics_path", "");
    inv.config = j.value("config", nlohmann::json());
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("invocation: ") + e.what());
  }
  inv.log = &std::cout;
  return ml::RunBuiltin(inv);
}

}  // namespace mlpipe::cli
