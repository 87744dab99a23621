// Typed params: parsing values, -p NAME=VALUE overrides, and the param scope
// of one step. Pure functions, thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlpipe/base/status.h"
#include "mlpipe/spec/pipeline.h"

namespace mlpipe::spec {

// "int" -> kInt etc.; nullopt for an unknown name.
std::optional<ParamType> ParamTypeFromName(std::string_view name);

// The type a value has on its own: integer -> kInt, float -> kFloat, bool ->
// kBool, array -> kList, anything else kString.
ParamType InferParamType(const nlohmann::json& value);

// A plain (unquoted) YAML scalar or list element as a typed value, YAML 1.2
// core schema: "3" -> 3, "-0.5"/"1e3" -> float, "true"/"False" -> bool,
// anything else the string itself.
nlohmann::json InferScalarValue(std::string_view text);

// Text given on the command line as a value of `type`. int: a whole number;
// float: any number; bool: true/false/yes/no/1/0 (any case); string: as is;
// list: a JSON array ("[1, 2]") or comma-separated items ("a,b,c", each item
// typed by InferScalarValue; "" is the empty list). InvalidArgument
// ("expected int, got 'abc'") otherwise.
StatusOr<nlohmann::json> ParseParamText(ParamType type, std::string_view text);

// A typed value made to fit `type`: an int is accepted as a float, a number or
// bool as a string (its text); anything else that differs is
// InvalidArgument ("expected int, got string \"abc\"").
StatusOr<nlohmann::json> CoerceParamValue(ParamType type, const nlohmann::json& value);

// Every pipeline param with its default, as a JSON object.
nlohmann::json DefaultParams(const PipelineSpec& spec);

// Defaults overridden by "NAME=VALUE" strings (as given to -p), later ones
// winning. InvalidArgument for a missing '=' ("-p repeat: expected
// NAME=VALUE"), an unknown name ("-p repaet=3: unknown param 'repaet'; did you
// mean 'repeat'?") or a value of the wrong type ("-p repeat=abc: param
// 'repeat' is int, got 'abc'").
StatusOr<nlohmann::json> ApplyParamOverrides(const PipelineSpec& spec,
                                             const std::vector<std::string>& overrides);

// The `${params.X}` scope of one step's command. Inline steps: the pipeline
// params as given. Component and built-in steps: every component param, from
// the step's bound value (StepSpec::params) with templates expanded against
// `pipeline_params` (a value that is exactly "${params.X}" keeps X's type),
// type-checked against StepSpec::component->params. InvalidArgument
// ("step 'train': param 'depth' is int, got 'abc'") or NotFound (a template
// names a pipeline param that is not in `pipeline_params`) on error.
StatusOr<nlohmann::json> ResolveStepParams(const StepSpec& step, const nlohmann::json& pipeline_params);

}  // namespace mlpipe::spec
