// The params of a run started through the API (POST
// /api/v1/pipelines/{name}/runs with {"params": {...}}): checked as `mlpipe
// run -p` checks them, kept with the fire, and given to its run as `-p
// NAME=VALUE`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/spec/pipeline.h"

namespace mlpipe::server {

// `params` (the body's "params": an object of NAME: VALUE, each a number, a
// string, a boolean or a list) as the `-p` texts of a run: "seed=7",
// "optimizer=adam", "layers=[64,32]". Checked against `spec` by the code
// behind `mlpipe run -p` (spec::ApplyParamOverrides): InvalidArgument naming
// the param for an unknown one ("unknown param 'sed'; did you mean 'seed'?"),
// a value of the wrong type, or a value that is null or an object.
StatusOr<std::vector<std::string>> CheckManualRunParams(const spec::PipelineSpec& spec,
                                                        const nlohmann::json& params);

// The `-p` texts of a fire's stored params (TriggerFire::params, already
// checked): none for "".
std::vector<std::string> ParamOverrideTexts(const std::string& params_json);

}  // namespace mlpipe::server
