// What `mlpipe ab` decides from the two pipeline specs before anything runs:
// which -p overrides go to which pipeline, which artifact is each pipeline's
// model and which are the test rows, and the primary metric. Every bad input
// is found here, so a mistake costs no run. Pure functions of the specs.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/spec/pipeline.h"

namespace mlpipe::engine {

// An artifact a step of a run wrote (an output) or read (an input: the model
// or test rows an evaluate step was given, whatever produced them).
struct ArtifactPick {
  std::string step;
  std::string name;    // the output's or the input's name
  bool input = false;  // read by `step` rather than written by it
  std::string why;     // how it was chosen: "--model-a", "register: iris", "the evaluate step's model input"
  // "train.model", or "evaluate's input model".
  std::string Label() const;
};

struct SplitOverrides {
  std::vector<std::string> a, b;  // the -p items each pipeline declares, in the given order
};

// Gives each "NAME=VALUE" to every pipeline that declares NAME.
// InvalidArgument for an item without '=' or a NAME neither declares
// ("-p rounds=5: neither a.yaml nor b.yaml declares param 'rounds'; ...").
StatusOr<SplitOverrides> SplitParamOverrides(const spec::PipelineSpec& a, const spec::PipelineSpec& b,
                                             const std::vector<std::string>& overrides);

// The pipeline's model: `flag` (STEP.OUTPUT, given as `flag_name`) when set;
// else the register: block's single entry's `from`; else the model input of
// its only built-in evaluate step. InvalidArgument naming the file and what to
// pass when none applies or STEP.OUTPUT names no output of the pipeline.
StatusOr<ArtifactPick> PickModel(const spec::PipelineSpec& spec, const std::string& flag,
                                 const std::string& flag_name);

// The test rows: `flag` (STEP.OUTPUT of `spec`, --test) when set, else the
// test input of the pipeline's only built-in evaluate step. InvalidArgument
// as PickModel.
StatusOr<ArtifactPick> PickTest(const spec::PipelineSpec& spec, const std::string& flag);

// The test input of the pipeline's only built-in evaluate step, if it has
// exactly one.
std::optional<ArtifactPick> EvaluateTestInput(const spec::PipelineSpec& spec);

// The primary metric's name as the pipeline asks for it: the `metric` param
// of its only evaluate step (resolved against `params`), "" when it has none
// or leaves it to the task's default.
std::string EvaluateMetricParam(const spec::PipelineSpec& spec, const nlohmann::json& params);

}  // namespace mlpipe::engine
