// Loading a pipeline for the engine and the CLI: the spec loader with the
// built-in components of ml/ plugged in, and params resolved with overrides.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mlpipe/base/status.h"
#include "mlpipe/spec/loader.h"

namespace mlpipe::engine {

// LoadOptions with the built-in resolver and param rules of ml/builtins.h and the registry's
// name rules (metadata/model_names.h) for register: blocks.
spec::LoadOptions DefaultLoadOptions();

struct LoadedPipeline {
  spec::PipelineSpec spec;
  nlohmann::json params;  // resolved: defaults with -p overrides applied
};

// Loads and validates `path` and applies `overrides`. On spec errors returns
// InvalidArgument whose message is every diagnostic (file:line:column:
// error: ... with hints), one per line, then "N errors in FILE".
StatusOr<LoadedPipeline> LoadPipelineForRun(const std::string& path, const std::vector<std::string>& overrides,
                                            bool check_files = true);

}  // namespace mlpipe::engine
